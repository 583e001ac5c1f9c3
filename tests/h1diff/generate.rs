//! Deterministic case generator: requests built from a grammar of known HTTP/1 smuggling and
//! parsing tricks, then mutated. Everything depends only on (seed, case index).

use super::hostile;

/// xorshift64* — small, seeded, good enough to pick grammar productions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so nearby seeds give unrelated streams; never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `num/den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Picks from `(weight, item)` pairs.
    pub fn weighted<'a, T>(&mut self, items: &'a [(usize, T)]) -> &'a T {
        let total: usize = items.iter().map(|(w, _)| w).sum();
        let mut at = self.below(total);
        for (w, item) in items {
            if at < *w {
                return item;
            }
            at -= w;
        }
        &items[items.len() - 1].1
    }
}

/// How the client ends a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Write everything, wait until nothing arrives for a moment, half-close (FIN), read until
    /// the proxy closes.
    QuietClose,
    /// Write everything and half-close at once (single requests only: with pipelining, what
    /// HAProxy still answers after an early FIN is timing-dependent).
    FinNow,
    /// Write everything, wait until the connection is quiet, then send a probe request with
    /// `Connection: close` on the same connection and read until the proxy closes.
    Probe,
    /// Write everything and read until the proxy closes (timeouts included).
    Wait,
}

/// One test case: the bytes the client writes (several writes with small pauses in between
/// model split packets), how it ends, and labels naming the tricks used.
#[derive(Clone, Debug)]
pub struct Case {
    pub id: u64,
    /// Index into the run's variants (config and origin mode).
    pub variant: usize,
    pub writes: Vec<Vec<u8>>,
    pub ending: Ending,
    pub tricks: Vec<String>,
    /// Hostile-server cases: what the origin answers, and the client's flow.
    pub hostile: Option<hostile::Plan>,
}

impl Case {
    pub fn bytes(&self) -> Vec<u8> {
        self.writes.concat()
    }
}

/// The probe request sent in [`Ending::Probe`].
pub const PROBE: &[u8] = b"GET /probe HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n";

/// One request being built: line by line, then the raw (already framed) body.
struct Req {
    method: Vec<u8>,
    target: Vec<u8>,
    version: Vec<u8>,
    /// Request-line separators (normally one space each).
    seps: [Vec<u8>; 2],
    /// Header lines, each without its line terminator.
    lines: Vec<Vec<u8>>,
    /// Line terminator per line: index 0 is the request line, then one per header line, and
    /// the last is the empty line ending the head.
    eol: Vec<Vec<u8>>,
    body: Vec<u8>,
    /// Bytes before the request line (leading empty lines).
    prefix: Vec<u8>,
}

impl Req {
    fn new(method: &str, target: Vec<u8>, version: &str) -> Req {
        Req {
            method: method.as_bytes().to_vec(),
            target,
            version: version.as_bytes().to_vec(),
            seps: [b" ".to_vec(), b" ".to_vec()],
            lines: Vec::new(),
            eol: Vec::new(),
            body: Vec::new(),
            prefix: Vec::new(),
        }
    }

    fn header(&mut self, name: &str, value: &str) {
        self.raw_header(format!("{name}: {value}").into_bytes());
    }

    fn raw_header(&mut self, line: Vec<u8>) {
        self.lines.push(line);
    }

    fn render(mut self) -> Vec<u8> {
        while self.eol.len() < self.lines.len() + 2 {
            self.eol.push(b"\r\n".to_vec());
        }
        let mut out = self.prefix.clone();
        out.extend_from_slice(&self.method);
        out.extend_from_slice(&self.seps[0]);
        out.extend_from_slice(&self.target);
        if !self.version.is_empty() {
            out.extend_from_slice(&self.seps[1]);
            out.extend_from_slice(&self.version);
        }
        out.extend_from_slice(&self.eol[0]);
        for (i, line) in self.lines.iter().enumerate() {
            out.extend_from_slice(line);
            out.extend_from_slice(&self.eol[i + 1]);
        }
        out.extend_from_slice(&self.eol[self.lines.len() + 1]);
        out.extend_from_slice(&self.body);
        out
    }
}

fn s(b: &str) -> Vec<u8> {
    b.as_bytes().to_vec()
}

/// A short lower-case body; sometimes a whole request, so that a proxy framing the body
/// differently from HAProxy forwards a second, smuggled request the origin can see.
fn body_bytes(rng: &mut Rng, case: u64, tricks: &mut Vec<String>) -> Vec<u8> {
    if rng.chance(1, 6) {
        tricks.push("body-is-request".into());
        return format!("GET /smuggled-{case} HTTP/1.1\r\nhost: h\r\n\r\n").into_bytes();
    }
    let small = 1 + rng.below(20);
    let n = *rng.weighted(&[(1, 0usize), (6, 5), (3, small)]);
    (0..n)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz"[(i + case as usize) % 26])
        .collect()
}

/// Content-Length values (`n` is the real body length).
fn cl_value(rng: &mut Rng, n: usize, tricks: &mut Vec<String>) -> String {
    let options: Vec<(usize, &str, String)> = vec![
        (6, "cl", format!("{n}")),
        (2, "cl-n,n", format!("{n},{n}")),
        (1, "cl-n, n", format!("{n}, {n}")),
        (2, "cl-n,m", format!("{n},{}", n + 1)),
        (2, "cl-plus", format!("+{n}")),
        (1, "cl-minus", "-1".to_string()),
        (2, "cl-leading-zero", format!("0{n}")),
        (1, "cl-trailing-space", format!("{n} ")),
        (1, "cl-tab", format!("\t{n}\t")),
        (
            2,
            "cl-2^64+n",
            format!("{}", 18446744073709551616u128 + n as u128),
        ),
        (1, "cl-2^32+n", format!("{}", 4294967296u64 + n as u64)),
        (1, "cl-huge", "99999999999999999999999".to_string()),
        (1, "cl-hex", format!("0x{n:x}")),
        (1, "cl-decimal", format!("{n}.0")),
        (1, "cl-empty", String::new()),
        (1, "cl-junk-suffix", format!("{n}a")),
        (1, "cl-inner-space", format!("{} {}", n / 10, n % 10)),
        (2, "cl-too-long", format!("{}", n + 4)),
        (2, "cl-too-short", format!("{}", n.saturating_sub(2))),
        (1, "cl-zero", "0".to_string()),
    ];
    let total: usize = options.iter().map(|o| o.0).sum();
    let mut at = rng.below(total);
    for (w, name, v) in options {
        if at < w {
            if name != "cl" {
                tricks.push(name.to_string());
            }
            return v;
        }
        at -= w;
    }
    unreachable!()
}

fn cl_name(rng: &mut Rng, tricks: &mut Vec<String>) -> &'static str {
    let (name, label) = *rng.weighted(&[
        (16, ("Content-Length", "")),
        (2, ("content-length", "")),
        (1, ("CONTENT-LENGTH", "cl-upper-name")),
        (2, ("Content-Length ", "cl-space-before-colon")),
        (1, ("Content-Length\t", "cl-tab-before-colon")),
        (1, ("Content_Length", "cl-underscore")),
        (1, ("Content-Length\x00", "cl-nul-name")),
    ]);
    if !label.is_empty() {
        tricks.push(label.into());
    }
    name
}

fn te_value(rng: &mut Rng, tricks: &mut Vec<String>) -> &'static str {
    let (v, label) = *rng.weighted(&[
        (10, ("chunked", "")),
        (2, ("Chunked", "te-case")),
        (1, ("CHUNKED", "te-case")),
        (2, ("chunked, identity", "te-chunked-identity")),
        (2, ("identity, chunked", "te-identity-chunked")),
        (2, ("gzip, chunked", "te-gzip-chunked")),
        (2, ("chunked, gzip", "te-chunked-gzip")),
        (2, ("xchunked", "te-xchunked")),
        (1, ("chunkedx", "te-chunkedx")),
        (1, (" chunked", "te-space")),
        (2, ("\tchunked\t", "te-tab")),
        (1, ("chunked,", "te-trailing-comma")),
        (1, (",chunked", "te-leading-comma")),
        (1, ("\"chunked\"", "te-quoted")),
        (1, ("chunked;q=1", "te-param")),
        (1, ("identity", "te-identity")),
        (1, ("gzip", "te-gzip")),
        (1, ("", "te-empty")),
        (1, ("chunk", "te-chunk")),
        (1, ("chunked\x0b", "te-vtab")),
        (1, ("chunked\x00", "te-nul")),
    ]);
    if !label.is_empty() {
        tricks.push(label.into());
    }
    v
}

fn te_name(rng: &mut Rng, tricks: &mut Vec<String>) -> &'static str {
    let (name, label) = *rng.weighted(&[
        (16, ("Transfer-Encoding", "")),
        (2, ("transfer-encoding", "")),
        (2, ("Transfer-Encoding ", "te-space-before-colon")),
        (1, ("Transfer-Encoding\t", "te-tab-before-colon")),
        (1, ("Transfer_Encoding", "te-underscore")),
        (1, ("Transfer-Encodings", "te-plural")),
    ]);
    if !label.is_empty() {
        tricks.push(label.into());
    }
    name
}

/// A chunked encoding of `data` with possible mutations of sizes, extensions, CRLFs, the last
/// chunk and trailers.
fn chunked(rng: &mut Rng, data: &[u8], mutate: bool, tricks: &mut Vec<String>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut parts: Vec<&[u8]> = Vec::new();
    if data.len() > 3 && rng.chance(1, 2) {
        let cut = 1 + rng.below(data.len() - 1);
        parts.push(&data[..cut]);
        parts.push(&data[cut..]);
    } else if !data.is_empty() {
        parts.push(data);
    }
    let mutated = if mutate && !parts.is_empty() {
        Some(rng.below(parts.len()))
    } else {
        None
    };
    for (i, part) in parts.iter().enumerate() {
        let x = format!("{:x}", part.len());
        let mut size = x.clone();
        let mut after_data = "\r\n".to_string();
        let mut data = part.to_vec();
        if mutated == Some(i) {
            let (label, kind) = *rng.weighted(&[
                (2, ("chunk-upper-hex", 0)),
                (2, ("chunk-leading-zeros", 1)),
                (2, ("chunk-0x", 2)),
                (2, ("chunk-leading-space", 3)),
                (2, ("chunk-trailing-space", 4)),
                (3, ("chunk-size-junk", 5)),
                (3, ("chunk-ext", 6)),
                (1, ("chunk-ext-quoted", 7)),
                (1, ("chunk-ext-tab", 8)),
                (3, ("chunk-2^64-overflow", 9)),
                (1, ("chunk-ffff", 10)),
                (1, ("chunk-minus", 11)),
                (1, ("chunk-empty-size", 12)),
                (1, ("chunk-plus", 13)),
                (2, ("chunk-data-longer", 14)),
                (2, ("chunk-data-shorter", 15)),
                (2, ("chunk-no-crlf-after-data", 16)),
                (2, ("chunk-bare-lf", 17)),
                (1, ("chunk-bare-cr", 18)),
                (1, ("chunk-ext-bare-cr", 19)),
                (1, ("chunk-nul-size", 20)),
                (1, ("chunk-ext-no-name", 21)),
            ]);
            tricks.push(label.into());
            match kind {
                0 => size = x.to_uppercase(),
                1 => size = format!("000{x}"),
                2 => size = format!("0x{x}"),
                3 => size = format!(" {x}"),
                4 => size = format!("{x} "),
                5 => size = format!("{x} junk"),
                6 => size = format!("{x};foo=bar"),
                7 => size = format!("{x};foo=\"a;b\""),
                8 => size = format!("{x}\t;foo"),
                9 => size = format!("1000000000000000{x}"),
                10 => size = "ffffffffffffffff".into(),
                11 => size = format!("-{x}"),
                12 => size = String::new(),
                13 => size = format!("+{x}"),
                14 => data.extend_from_slice(b"XY"),
                15 => {
                    data.pop();
                }
                16 => after_data = String::new(),
                17 => {
                    out.extend_from_slice(size.as_bytes());
                    out.extend_from_slice(b"\n");
                    out.extend_from_slice(&data);
                    out.extend_from_slice(b"\n");
                    continue;
                }
                18 => after_data = "\r".into(),
                19 => size = format!("{x};a\rb"),
                20 => size = format!("{x}\0"),
                _ => size = format!("{x};"),
            }
        }
        out.extend_from_slice(size.as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&data);
        out.extend_from_slice(after_data.as_bytes());
    }
    // The last chunk and trailers.
    let (label, last) = if mutate && rng.chance(1, 3) {
        *rng.weighted(&[
            (2, ("last-chunk-ext", "0;x=y\r\n\r\n")),
            (1, ("last-chunk-zeros", "000\r\n\r\n")),
            (3, ("trailer", "0\r\nx-t: 1\r\n\r\n")),
            (2, ("trailer-cl", "0\r\nContent-Length: 5\r\n\r\n")),
            (1, ("trailer-te", "0\r\nTransfer-Encoding: chunked\r\n\r\n")),
            (1, ("trailer-host", "0\r\nHost: evil\r\n\r\n")),
            (2, ("trailer-junk", "0\r\nnot a header\r\n\r\n")),
            (1, ("trailer-bare-lf", "0\nx-t: 1\n\n")),
            (1, ("trailer-obs-fold", "0\r\nx-t: 1\r\n 2\r\n\r\n")),
            (2, ("last-chunk-no-final-crlf", "0\r\n")),
            (1, ("last-chunk-space", "0 \r\n\r\n")),
        ])
    } else {
        ("", "0\r\n\r\n")
    };
    if !label.is_empty() {
        tricks.push(label.into());
    }
    out.extend_from_slice(last.as_bytes());
    out
}

const METHODS: &[(usize, &str)] = &[
    (30, "GET"),
    (24, "POST"),
    (5, "PUT"),
    (5, "HEAD"),
    (3, "OPTIONS"),
    (2, "DELETE"),
    (2, "CONNECT"),
    (2, "FOO"),
    (1, "get"),
    (1, "G@T"),
    (1, "PATCH"),
];

/// One request; `first` requests carry most tricks, later pipelined ones are mostly plain.
fn request(rng: &mut Rng, case: u64, k: usize, tricky: bool, tricks: &mut Vec<String>) -> Vec<u8> {
    let method = if tricky {
        *rng.weighted(METHODS)
    } else {
        *rng.weighted(&[(6, "GET"), (2, "POST"), (1, "HEAD")])
    };
    if method != "GET" && method != "POST" && tricky {
        tricks.push(format!("method-{method}"));
    }
    let path = format!("/c{case}r{k}");
    let mut version = "HTTP/1.1";
    if tricky && rng.chance(1, 7) {
        let (v, label) = *rng.weighted(&[
            (6, ("HTTP/1.0", "http/1.0")),
            (2, ("HTTP/1.2", "http/1.2")),
            (2, ("HTTP/2.0", "http/2.0")),
            (1, ("HTTP/3.0", "http/3.0")),
            (1, ("http/1.1", "version-lowercase")),
            (1, ("HTTP/1.10", "version-1.10")),
            (1, ("HTTP/01.1", "version-01.1")),
            (1, ("HTTP/1", "version-1")),
            (1, ("HTTX/1.1", "version-httx")),
            (1, ("", "http/0.9")),
            (1, ("HTTP/1.1 ", "version-trailing-space")),
        ]);
        version = v;
        tricks.push(label.into());
    }
    let mut target = s(&path);
    if method == "CONNECT" {
        target = s("h:443");
    } else if method == "OPTIONS" && rng.chance(1, 2) {
        target = s("*");
    }
    let mut req = Req::new(method, target, version);
    // Host.
    let host_trick = tricky && rng.chance(1, 6);
    if host_trick {
        let (label, kind) = *rng.weighted(&[
            (2, ("no-host", 0)),
            (2, ("host-dup-equal", 1)),
            (2, ("host-dup-different", 2)),
            (1, ("host-dup-case", 3)),
            (1, ("host-empty", 4)),
            (1, ("host-dup-empty", 5)),
            (2, ("absolute-uri-mismatch", 6)),
            (2, ("absolute-uri-match", 7)),
            (1, ("absolute-uri-port", 8)),
            (1, ("absolute-uri-upper", 9)),
            (1, ("absolute-uri-no-path", 10)),
            (1, ("absolute-uri-no-host-header", 11)),
            (1, ("host-port", 12)),
            (1, ("host-space-inside", 13)),
            (1, ("authority-form-get", 14)),
            (1, ("host-no-space", 15)),
            (1, ("network-path", 16)),
            (1, ("absolute-uri-userinfo", 17)),
        ]);
        tricks.push(label.into());
        match kind {
            0 => {}
            1 => {
                req.header("Host", "h");
                req.header("Host", "h");
            }
            2 => {
                req.header("Host", "h");
                req.header("Host", "g");
            }
            3 => {
                req.header("Host", "h");
                req.header("hOST", "H");
            }
            4 => req.raw_header(s("Host:")),
            5 => {
                req.header("Host", "h");
                req.raw_header(s("Host:"));
            }
            6 => {
                req.target = format!("http://other{path}").into_bytes();
                req.header("Host", "h");
            }
            7 => {
                req.target = format!("http://h{path}").into_bytes();
                req.header("Host", "h");
            }
            8 => {
                req.target = format!("http://h:80{path}").into_bytes();
                req.header("Host", "h");
            }
            9 => {
                req.target = format!("HTTP://H{path}").into_bytes();
                req.header("Host", "h");
            }
            10 => {
                req.target = s("http://h");
                req.header("Host", "h");
            }
            11 => req.target = format!("http://h{path}").into_bytes(),
            12 => req.header("Host", "h:8080"),
            13 => req.header("Host", "h h"),
            14 => {
                req.target = s("h:80");
                req.header("Host", "h");
            }
            15 => req.raw_header(s("Host:h")),
            16 => {
                req.target = format!("//h{path}").into_bytes();
                req.header("Host", "g");
            }
            _ => {
                req.target = format!("http://u@h{path}").into_bytes();
                req.header("Host", "h");
            }
        }
    } else if method == "CONNECT" {
        req.header("Host", "h:443");
    } else {
        req.header("Host", "h");
    }
    if rng.chance(1, 3) {
        req.header("User-Agent", "h1diff");
    }
    // Body framing.
    let wants_body = matches!(method, "POST" | "PUT" | "PATCH") || (tricky && rng.chance(1, 12));
    if wants_body {
        let data = body_bytes(rng, case, tricks);
        let framing = if tricky {
            *rng.weighted(&[
                (10, 0), // CL
                (8, 1),  // chunked
                (8, 2),  // CL variant
                (7, 3),  // TE variant
                (7, 4),  // CL + TE
                (7, 5),  // chunked body mutation
                (3, 6),  // two CLs
                (2, 7),  // two TEs
                (1, 8),  // no framing at all
            ])
        } else {
            *rng.weighted(&[(3, 0), (1, 1)])
        };
        match framing {
            0 => {
                req.header("Content-Length", &data.len().to_string());
                req.body = data;
            }
            1 => {
                req.header("Transfer-Encoding", "chunked");
                req.body = chunked(rng, &data, false, tricks);
            }
            2 => {
                let name = cl_name(rng, tricks);
                let v = cl_value(rng, data.len(), tricks);
                req.raw_header(format!("{name}: {v}").into_bytes());
                req.body = data;
            }
            3 => {
                let name = te_name(rng, tricks);
                let v = te_value(rng, tricks);
                req.raw_header(format!("{name}: {v}").into_bytes());
                let mutate = rng.chance(1, 3);
                req.body = chunked(rng, &data, mutate, tricks);
            }
            4 => {
                let te_first = rng.chance(1, 2);
                tricks.push(if te_first { "te+cl" } else { "cl+te" }.into());
                let mutate = rng.chance(1, 4);
                let chunk = chunked(rng, &data, mutate, tricks);
                let te = te_value(rng, tricks);
                // Either CL counts the chunked body, or CL counts only a prefix of it (the
                // classic CL.TE), or more.
                let cl = *rng.weighted(&[(2, chunk.len()), (2, 0), (1, 5), (1, data.len())]);
                let cl_line = format!("Content-Length: {cl}");
                let te_line = format!("{}: {te}", te_name(rng, tricks));
                if te_first {
                    req.raw_header(te_line.into_bytes());
                    req.raw_header(cl_line.into_bytes());
                } else {
                    req.raw_header(cl_line.into_bytes());
                    req.raw_header(te_line.into_bytes());
                }
                req.body = chunk;
            }
            5 => {
                req.header("Transfer-Encoding", "chunked");
                req.body = chunked(rng, &data, true, tricks);
            }
            6 => {
                let other = *rng.weighted(&[(2, data.len()), (2, data.len() + 1), (1, 0)]);
                tricks.push(
                    if other == data.len() {
                        "two-cl-equal"
                    } else {
                        "two-cl-different"
                    }
                    .into(),
                );
                req.header("Content-Length", &data.len().to_string());
                if rng.chance(1, 3) {
                    req.header("X-Other", "1");
                }
                req.header("Content-Length", &other.to_string());
                req.body = data;
            }
            7 => {
                let (a, b, label) = *rng.weighted(&[
                    (2, ("chunked", "chunked", "two-te-chunked")),
                    (2, ("gzip", "chunked", "two-te-gzip-chunked")),
                    (2, ("chunked", "identity", "two-te-chunked-identity")),
                    (1, ("identity", "chunked", "two-te-identity-chunked")),
                ]);
                tricks.push(label.into());
                req.header("Transfer-Encoding", a);
                req.header("Transfer-Encoding", b);
                req.body = chunked(rng, &data, false, tricks);
            }
            _ => {
                tricks.push("body-without-framing".into());
                req.body = data;
            }
        }
    }
    if tricky {
        extra_tricks(rng, &mut req, tricks);
    }
    req.render()
}

/// Header-level and line-level tricks applied to a request.
fn extra_tricks(rng: &mut Rng, req: &mut Req, tricks: &mut Vec<String>) {
    let n = *rng.weighted(&[(4, 0usize), (6, 1), (2, 2)]);
    for _ in 0..n {
        let kind = *rng.weighted(&[
            (6, 0),  // Connection tokens
            (3, 1),  // Expect
            (3, 2),  // Upgrade
            (3, 3),  // obs-fold
            (3, 4),  // bare LF
            (3, 5),  // control bytes
            (2, 6),  // whitespace games
            (2, 7),  // request line games
            (2, 8),  // head size near the limit
            (2, 9),  // header count near the limit
            (2, 10), // hop-by-hop headers
            (1, 11), // leading empty lines
        ]);
        match kind {
            0 => {
                let (v, label) = *rng.weighted(&[
                    (3, ("close", "conn-close")),
                    (3, ("keep-alive", "conn-keep-alive")),
                    (2, ("upgrade", "conn-upgrade")),
                    (3, ("content-length", "conn-content-length")),
                    (3, ("transfer-encoding", "conn-transfer-encoding")),
                    (2, ("host", "conn-host")),
                    (1, ("te", "conn-te")),
                    (1, ("x-a", "conn-x-a")),
                    (1, ("close, content-length", "conn-close-content-length")),
                    (
                        1,
                        ("keep-alive, transfer-encoding", "conn-ka-transfer-encoding"),
                    ),
                    (1, ("CLOSE", "conn-CLOSE")),
                    (1, ("close, keep-alive", "conn-close-keep-alive")),
                ]);
                tricks.push(label.into());
                req.header("Connection", v);
                if v.contains("x-a") {
                    req.header("X-A", "1");
                }
                if rng.chance(1, 4) {
                    tricks.push("conn-second-header".into());
                    req.header("Connection", "x-b");
                }
            }
            1 => {
                let (v, label) = *rng.weighted(&[
                    (4, ("100-continue", "expect-100")),
                    (1, ("100-Continue", "expect-100-case")),
                    (1, ("foo", "expect-foo")),
                ]);
                tricks.push(label.into());
                req.header("Expect", v);
            }
            2 => {
                let (label, kind) = *rng.weighted(&[
                    (3, ("upgrade-websocket", 0)),
                    (1, ("upgrade-without-connection", 1)),
                    (1, ("upgrade-h2c", 2)),
                ]);
                tricks.push(label.into());
                match kind {
                    0 => {
                        req.header("Connection", "Upgrade");
                        req.header("Upgrade", "websocket");
                        req.header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
                        req.header("Sec-WebSocket-Version", "13");
                    }
                    1 => req.header("Upgrade", "websocket"),
                    _ => {
                        req.header("Connection", "Upgrade, HTTP2-Settings");
                        req.header("Upgrade", "h2c");
                        req.header("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA");
                    }
                }
            }
            3 => {
                // A continuation line after a random header (or a new one).
                const FOLDS: [&[u8]; 3] = [b" folded", b"\tfolded", b" "];
                let fold = FOLDS[rng.below(FOLDS.len())];
                let at = if req.lines.is_empty() || rng.chance(1, 3) {
                    req.header("X-Fold", "a");
                    req.lines.len() - 1
                } else {
                    rng.below(req.lines.len())
                };
                let label = if rng.chance(1, 6) {
                    req.lines.insert(0, fold.to_vec());
                    "obs-fold-first-line"
                } else {
                    req.lines.insert(at + 1, fold.to_vec());
                    "obs-fold"
                };
                tricks.push(label.into());
            }
            4 => {
                let total = req.lines.len() + 2;
                while req.eol.len() < total {
                    req.eol.push(b"\r\n".to_vec());
                }
                if rng.chance(1, 3) {
                    tricks.push("bare-lf-all".into());
                    for e in &mut req.eol {
                        *e = b"\n".to_vec();
                    }
                } else {
                    let (label, eol): (&str, &[u8]) = *rng.weighted(&[
                        (4, ("bare-lf-line", b"\n".as_slice())),
                        (2, ("bare-cr-line", b"\r")),
                        (1, ("cr-cr-lf-line", b"\r\r\n")),
                    ]);
                    tricks.push(label.into());
                    let i = rng.below(total);
                    req.eol[i] = eol.to_vec();
                }
            }
            5 => {
                let byte = *rng.pick(&[0u8, 0x01, 0x08, 0x0b, 0x0c, b'\r', 0x7f, 0x80, 0xff, b' ']);
                let place = rng.below(4);
                let label = match place {
                    0 => {
                        let at = rng.below(req.target.len() + 1);
                        req.target.insert(at, byte);
                        "ctl-in-target"
                    }
                    1 => {
                        req.lines
                            .push(vec![b'x', b'-', b'c', byte, b':', b' ', b'v']);
                        "ctl-in-name"
                    }
                    2 => {
                        req.lines
                            .push(vec![b'x', b'-', b'c', b':', b' ', b'a', byte, b'b']);
                        "ctl-in-value"
                    }
                    _ => {
                        let at = rng.below(req.method.len() + 1);
                        req.method.insert(at, byte);
                        "ctl-in-method"
                    }
                };
                tricks.push(format!("{label}-{byte:02x}"));
            }
            6 => {
                let (label, line): (&str, &[u8]) = *rng.weighted(&[
                    (1, ("space-before-colon", b"X-A : v".as_slice())),
                    (1, ("no-space-after-colon", b"X-A:v")),
                    (1, ("many-spaces-value", b"X-A:    v    ")),
                    (1, ("tab-value", b"X-A:\tv\t")),
                    (1, ("empty-name", b": v")),
                    (1, ("no-colon", b"nocolon")),
                    (1, ("empty-value", b"X-A:")),
                    (1, ("leading-space-name", b" X-A: v")),
                    (1, ("utf8-value", "X-A: \u{e9}t\u{e9}".as_bytes())),
                    (1, ("colon-in-name", b"X:A: v")),
                ]);
                tricks.push(label.into());
                let at = rng.below(req.lines.len() + 1);
                req.lines.insert(at, line.to_vec());
            }
            7 => {
                let (label, kind) = *rng.weighted(&[
                    (1, ("double-space-after-method", 0)),
                    (1, ("tab-separators", 1)),
                    (1, ("space-in-target", 2)),
                    (1, ("fragment-in-target", 3)),
                    (1, ("leading-space-line", 4)),
                    (1, ("empty-target", 5)),
                    (1, ("long-target", 6)),
                ]);
                tricks.push(label.into());
                match kind {
                    0 => req.seps[0] = s("  "),
                    1 => req.seps = [s("\t"), s("\t")],
                    2 => req.target.extend_from_slice(b" x"),
                    3 => req.target.extend_from_slice(b"#frag"),
                    4 => req.method.insert(0, b' '),
                    5 => req.target.clear(),
                    _ => req.target.extend(std::iter::repeat_n(b'a', 8000)),
                }
            }
            8 => {
                // A head whose size sits near HAProxy's limit (15281 - 4 per header line) or
                // near 16 KiB.
                let lines = req.lines.len() + 1;
                let haproxy_limit = 15281usize.saturating_sub(4 * lines);
                let (a, b, c) = (rng.below(5), rng.below(2000), rng.below(9));
                let want =
                    *rng.weighted(&[(3, haproxy_limit - 2 + a), (2, 15000 + b), (1, 16380 + c)]);
                let current = req.clone_len();
                let pad_line_overhead = "X-Pad: ".len() + 2;
                let pad = want.saturating_sub(current + pad_line_overhead);
                let mut line = s("X-Pad: ");
                line.extend(std::iter::repeat_n(b'p', pad));
                req.lines.push(line);
                let delta = want as i64 - haproxy_limit as i64;
                tricks.push(format!("head-size-limit{delta:+}"));
            }
            9 => {
                let total = 97 + rng.below(7);
                let have = req.lines.len();
                for i in have..total {
                    req.lines.push(format!("X-H{i}: v").into_bytes());
                }
                // Lines HAProxy does not count against its limit (or, the last, does).
                let extra: &[&str] = match rng.below(7) {
                    0 => &["Connection: keep-alive"],
                    1 => &["Connection: close, x-a"],
                    2 => &["Host: h", "host: H"],
                    3 => &["Connection:", "Connection: close"],
                    _ => &[],
                };
                for line in extra {
                    req.lines.push(s(line));
                }
                tricks.push(format!("header-count-{}", req.lines.len()));
            }
            10 => {
                let (label, line): (&str, &str) = *rng.weighted(&[
                    (1, ("keep-alive-header", "Keep-Alive: timeout=5")),
                    (1, ("proxy-connection", "Proxy-Connection: close")),
                    (1, ("te-trailers", "TE: trailers")),
                    (1, ("trailer-header", "Trailer: x-t")),
                    (1, ("x-forwarded-for", "X-Forwarded-For: 1.2.3.4")),
                ]);
                tricks.push(label.into());
                req.raw_header(s(line));
            }
            _ => {
                tricks.push("leading-empty-lines".into());
                req.prefix = s("\r\n\r\n");
            }
        }
    }
}

impl Req {
    /// The size the head would have with CRLF line ends.
    fn clone_len(&self) -> usize {
        self.method.len()
            + self.target.len()
            + self.version.len()
            + 4
            + self.lines.iter().map(|l| l.len() + 2).sum::<usize>()
            + 2
    }
}

/// Random byte-level damage (rare): flip, insert or delete a few bytes.
fn havoc(rng: &mut Rng, bytes: &mut Vec<u8>, tricks: &mut Vec<String>) {
    let n = 1 + rng.below(3);
    for _ in 0..n {
        if bytes.is_empty() {
            return;
        }
        let at = rng.below(bytes.len());
        match rng.below(3) {
            0 => bytes[at] = *rng.pick(b"\r\n :;,\t0\x00aZ-"),
            1 => bytes.insert(at, *rng.pick(b"\r\n :;,\t0\x00aZ-")),
            _ => {
                bytes.remove(at);
            }
        }
    }
    tricks.push("havoc".into());
}

/// The request-fuzzing case number `id` of a run with `seed`.
pub fn request_case(seed: u64, id: u64, variant: usize) -> Case {
    let mut rng = Rng::new(seed ^ id.wrapping_mul(0xA076_1D64_78BD_642F));
    let mut tricks = Vec::new();
    let count = *rng.weighted(&[(6, 1usize), (3, 2), (1, 3)]);
    let mut reqs: Vec<Vec<u8>> = (0..count)
        .map(|k| {
            let tricky = k == 0 || rng.chance(1, 4);
            request(&mut rng, id, k, tricky, &mut tricks)
        })
        .collect();
    if count > 1 {
        tricks.push(format!("pipeline-{count}"));
    }
    if rng.chance(1, 20) {
        let at = rng.below(reqs.len());
        havoc(&mut rng, &mut reqs[at], &mut tricks);
    }
    let all = reqs.concat();
    let writes = match rng.weighted(&[(6, 0), (3, 1), (1, 2)]) {
        0 => vec![all],
        1 if all.len() > 2 => {
            tricks.push("split-writes".into());
            let pieces = 2 + rng.below(3);
            let mut cuts: Vec<usize> = (0..pieces - 1)
                .map(|_| 1 + rng.below(all.len() - 1))
                .collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut out = Vec::new();
            let mut from = 0;
            for c in cuts {
                out.push(all[from..c].to_vec());
                from = c;
            }
            out.push(all[from..].to_vec());
            out
        }
        2 if count > 1 => {
            tricks.push("one-write-per-request".into());
            reqs
        }
        _ => vec![all],
    };
    let mut ending = *rng.weighted(&[
        (11, Ending::QuietClose),
        (3, Ending::FinNow),
        (4, Ending::Probe),
        (2, Ending::Wait),
    ]);
    if ending == Ending::FinNow && count > 1 {
        ending = Ending::QuietClose;
    }
    tricks.sort();
    tricks.dedup();
    Case {
        id,
        variant,
        writes,
        ending,
        tricks,
        hostile: None,
    }
}
