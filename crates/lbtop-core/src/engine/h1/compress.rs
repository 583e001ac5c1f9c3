//! Response compression as HAProxy 2.6 applies it (docs/haproxy-semantics.md §39): which
//! algorithm a request's `Accept-Encoding` picks, which responses qualify, how their head
//! changes, and the encoder that turns the body into chunks of compressed data.

use super::response::Body;
use crate::config::{Algo, Compression, Options};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use hyper::Version;
use std::io::Write;

/// The `compression` lines in force for one frontend and backend: the backend's algorithms
/// and types when it names any, else the frontend's; `offload` from either.
#[derive(Debug, Clone)]
pub struct CompressRt {
    algos: Vec<Algo>,
    types: Vec<String>,
    offload: bool,
}

/// What the response side needs: the algorithm the request picked and the types compressed.
#[derive(Debug, Clone, Copy)]
pub struct Compress<'a> {
    pub algo: Algo,
    pub types: &'a [String],
}

impl CompressRt {
    /// `None` when neither side has a `compression` line.
    pub fn new(fe: &Options, be: &Options) -> Option<CompressRt> {
        let (fe, be) = (fe.compression.as_ref(), be.compression.as_ref());
        if fe.is_none() && be.is_none() {
            return None;
        }
        let pick = |f: fn(&Compression) -> bool| be.filter(|c| f(c)).or(fe.filter(|c| f(c)));
        Some(CompressRt {
            algos: pick(|c| !c.algos.is_empty()).map_or(Vec::new(), |c| c.algos.clone()),
            types: pick(|c| !c.types.is_empty()).map_or(Vec::new(), |c| c.types.clone()),
            offload: fe.is_some_and(|c| c.offload) || be.is_some_and(|c| c.offload),
        })
    }

    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The algorithm for a request with these headers, and whether its `Accept-Encoding`
    /// lines are to be removed before the server sees them (`compression offload`).
    pub fn choose(&self, headers: &[httparse::Header<'_>]) -> Option<(Algo, bool)> {
        let find = |name: &'static str| {
            headers
                .iter()
                .filter(move |h| h.name.eq_ignore_ascii_case(name))
        };
        if find("user-agent")
            .next()
            .is_some_and(|h| old_mozilla(h.value))
        {
            return None;
        }
        let mut best: Option<(Algo, u16)> = None;
        for element in find("accept-encoding").flat_map(|h| h.value.split(|&b| b == b',')) {
            let element = element.trim_ascii();
            let token_len = element.iter().take_while(|&&b| is_token(b)).count();
            let q = qvalue(&element[token_len..]);
            if q <= best.map_or(0, |b| b.1) {
                continue;
            }
            // HAProxy keeps its algorithms newest first: the last one written wins a tie.
            let token = &element[..token_len];
            let matched = self.algos.iter().rev().find(|a| {
                element.first() == Some(&b'*') || token.eq_ignore_ascii_case(a.token().as_bytes())
            });
            if let Some(&a) = matched {
                best = Some((a, q));
            }
        }
        match best {
            Some((a, _)) => Some((a, self.offload)),
            // `identity` needs nothing from the client.
            None => self
                .algos
                .contains(&Algo::Identity)
                .then_some((Algo::Identity, false)),
        }
    }
}

/// HAProxy's exception for old browsers: a `Mozilla/4` user agent gets no compression
/// unless it is MSIE 6 with SV1, or MSIE 7 and later.
fn old_mozilla(ua: &[u8]) -> bool {
    ua.starts_with(b"Mozilla/4")
        && (ua.len() < 31
            || &ua[25..30] != b"MSIE "
            || ua[30] < b'6'
            || (ua[30] == b'6' && (ua.len() < 54 || &ua[51..54] != b"SV1")))
}

/// The `q=` parameter after a token, in thousandths (1000 without one), as HAProxy reads it:
/// a leading `1` is 1000 whatever follows, `0.` takes up to three digits.
fn qvalue(params: &[u8]) -> u16 {
    for p in params.split(|&b| b == b';').skip(1) {
        let p = p.trim_ascii();
        let Some(v) = p.strip_prefix(b"q=") else {
            continue;
        };
        return match v.first() {
            Some(b'1') => 1000,
            Some(b'0') => {
                let digits = v.get(2..).unwrap_or_default();
                let digits = digits.iter().take(3).take_while(|b| b.is_ascii_digit());
                let mut q = 0u16;
                let mut scale = 100;
                for d in digits {
                    q += u16::from(d - b'0') * scale;
                    scale /= 10;
                }
                q
            }
            _ => 0,
        };
    }
    1000
}

fn is_token(b: u8) -> bool {
    super::chunked::is_token(b)
}

/// Whether the response qualifies, as HAProxy decides from its head: HTTP/1.1 both ways, not
/// HEAD, status 200 to 203, a body it knows the end of (a length above zero, or chunked), not
/// already encoded, no `Cache-Control: no-transform`, not multipart, a content type among
/// the configured ones (a prefix, case aside), at most one ETag and a well-formed one.
pub fn applies(
    c: &Compress<'_>,
    (request, minor, is_head): (Version, u8, bool),
    status: u16,
    body: Body,
    headers: &[httparse::Header<'_>],
) -> bool {
    let named = |n: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(n))
    };
    let framed = matches!(body, Body::Chunked) || matches!(body, Body::Length(n) if n > 0);
    let no_transform = named("cache-control").any(|h| {
        h.value
            .split(|&b| b == b',')
            .any(|w| w.trim_ascii().eq_ignore_ascii_case(b"no-transform"))
    });
    let mut etags = named("etag");
    let etag_ok = match (etags.next(), etags.next()) {
        (None, _) => true,
        (Some(h), None) => weakened(h.value).is_some(),
        (Some(_), Some(_)) => false,
    };
    request == Version::HTTP_11
        && minor == 1
        && !is_head
        && (200..=203).contains(&status)
        && framed
        && named("content-encoding").next().is_none()
        && !no_transform
        && etag_ok
        && type_ok(c.types, named("content-type").next().map(|h| h.value))
}

fn type_ok(types: &[String], content_type: Option<&[u8]>) -> bool {
    match content_type {
        Some(v) if v.len() >= 9 && v[..9].eq_ignore_ascii_case(b"multipart") => false,
        Some(v) => {
            types.is_empty()
                || types
                    .iter()
                    .any(|t| v.len() >= t.len() && v[..t.len()].eq_ignore_ascii_case(t.as_bytes()))
        }
        None => types.is_empty(),
    }
}

/// The ETag a compressed response carries: a strong one is made weak (`W/` before it); `None`
/// for one that is neither `"..."` nor `W/"..."`, which stops compression.
fn weakened(value: &[u8]) -> Option<Option<Vec<u8>>> {
    let quoted = |v: &[u8]| v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"';
    if value.starts_with(b"W/") && quoted(&value[2..]) {
        return Some(None);
    }
    quoted(value).then(|| Some([b"W/", value].concat()))
}

/// Writes a server header of a response being compressed when compression changes it:
/// `Content-Length` goes (the body is chunked), a strong `ETag` is made weak. Returns
/// whether it handled the header.
pub fn rewrite_header(h: &httparse::Header<'_>, out: &mut Vec<u8>) -> bool {
    if h.name.eq_ignore_ascii_case("content-length") {
        return true;
    }
    if !h.name.eq_ignore_ascii_case("etag") {
        return false;
    }
    if let Some(Some(weak)) = weakened(h.value) {
        super::head::header_line(out, b"etag", &weak);
        return true;
    }
    false
}

/// The lines compression adds after the server's headers, in HAProxy's order.
pub fn add_headers(out: &mut Vec<u8>, algo: Algo, chunked: bool) {
    if !chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    out.extend_from_slice(b"vary: Accept-Encoding\r\n");
    if algo != Algo::Identity {
        out.extend_from_slice(b"content-encoding: ");
        out.extend_from_slice(algo.token().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Compresses a body as it streams: data goes in, and each [`Encoder::flush`] hands out what
/// the client can decode so far. Level 1, HAProxy's default `tune.comp.maxlevel`.
pub enum Encoder {
    Identity(Vec<u8>),
    Gzip(GzEncoder<Vec<u8>>),
    Deflate(ZlibEncoder<Vec<u8>>),
    Raw(DeflateEncoder<Vec<u8>>),
}

impl Encoder {
    pub fn new(algo: Algo) -> Encoder {
        let level = flate2::Compression::new(1);
        match algo {
            Algo::Identity => Encoder::Identity(Vec::new()),
            Algo::Gzip => Encoder::Gzip(GzEncoder::new(Vec::new(), level)),
            Algo::Deflate => Encoder::Deflate(ZlibEncoder::new(Vec::new(), level)),
            Algo::RawDeflate => Encoder::Raw(DeflateEncoder::new(Vec::new(), level)),
        }
    }

    pub fn write(&mut self, data: &[u8]) {
        // Writing into a Vec cannot fail.
        let _ = match self {
            Encoder::Identity(v) => v.write_all(data),
            Encoder::Gzip(e) => e.write_all(data),
            Encoder::Deflate(e) => e.write_all(data),
            Encoder::Raw(e) => e.write_all(data),
        };
    }

    /// What was compressed so far, flushed so the client can decode it.
    pub fn flush(&mut self) -> Vec<u8> {
        let _ = match self {
            Encoder::Identity(_) => Ok(()),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Deflate(e) => e.flush(),
            Encoder::Raw(e) => e.flush(),
        };
        std::mem::take(self.output())
    }

    /// The rest of the stream, with its end (and gzip's checksum and length).
    pub fn finish(&mut self) -> Vec<u8> {
        let _ = match self {
            Encoder::Identity(_) => Ok(()),
            Encoder::Gzip(e) => e.try_finish(),
            Encoder::Deflate(e) => e.try_finish(),
            Encoder::Raw(e) => e.try_finish(),
        };
        std::mem::take(self.output())
    }

    fn output(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::Identity(v) => v,
            Encoder::Gzip(e) => e.get_mut(),
            Encoder::Deflate(e) => e.get_mut(),
            Encoder::Raw(e) => e.get_mut(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(algos: &[Algo]) -> CompressRt {
        CompressRt {
            algos: algos.to_vec(),
            types: Vec::new(),
            offload: false,
        }
    }

    fn choose(c: &CompressRt, lines: &[(&'static str, &'static str)]) -> Option<Algo> {
        let headers: Vec<httparse::Header> = lines
            .iter()
            .map(|(n, v)| httparse::Header {
                name: n,
                value: v.as_bytes(),
            })
            .collect();
        c.choose(&headers).map(|(a, _)| a)
    }

    /// What HAProxy 2.6.12 chose for each `Accept-Encoding` (measured).
    #[test]
    fn accept_encoding_picks_as_haproxy_does() {
        let gzip = rt(&[Algo::Gzip]);
        let ae = |v| [("Accept-Encoding", v)];
        for (v, want) in [
            ("gzip", Some(Algo::Gzip)),
            ("GZIP", Some(Algo::Gzip)),
            ("*", Some(Algo::Gzip)),
            ("gzip;q=0", None),
            ("gzip;q=0.0001", None),
            ("gzip;q=1.5", Some(Algo::Gzip)),
            ("gzip ; q=0.5", Some(Algo::Gzip)),
            ("gzip;level=1;q=0.5", Some(Algo::Gzip)),
            ("br, gzip;q=0.001", Some(Algo::Gzip)),
            ("x-gzip", None),
            ("deflate", None),
            ("identity", None),
            ("", None),
        ] {
            assert_eq!(choose(&gzip, &ae(v)), want, "{v:?}");
        }
        let three = rt(&[Algo::Deflate, Algo::Gzip, Algo::RawDeflate]);
        assert_eq!(
            choose(&three, &ae("deflate;q=0.5, gzip;q=0.5")),
            Some(Algo::RawDeflate)
        );
        assert_eq!(
            choose(&three, &ae("gzip;q=0.5, deflate;q=0.5")),
            Some(Algo::Gzip)
        );
        assert_eq!(choose(&three, &ae("*")), Some(Algo::RawDeflate));
        assert_eq!(choose(&three, &ae("*;q=0.5, gzip")), Some(Algo::Gzip));
        let two = rt(&[Algo::Gzip, Algo::Deflate]);
        assert_eq!(choose(&two, &ae("*")), Some(Algo::Deflate));
        let old = ("User-Agent", "Mozilla/4.0 (compatible; foo)");
        assert_eq!(choose(&gzip, &[ae("gzip")[0], old]), None);
        let identity = rt(&[Algo::Gzip, Algo::Identity]);
        assert_eq!(choose(&identity, &ae("br")), Some(Algo::Identity));
        assert_eq!(choose(&identity, &[]), Some(Algo::Identity));
    }

    #[test]
    fn etags_are_weakened_or_stop_compression() {
        assert_eq!(weakened(b"\"abc\""), Some(Some(b"W/\"abc\"".to_vec())));
        assert_eq!(weakened(b"\"\""), Some(Some(b"W/\"\"".to_vec())));
        assert_eq!(weakened(b"W/\"abc\""), Some(None));
        for bad in [&b"abc"[..], b"W/abc", b"\"abc", b"w/\"abc\""] {
            assert_eq!(weakened(bad), None);
        }
    }

    #[test]
    fn content_types_are_prefixes() {
        let types = ["text/html".to_string()];
        assert!(type_ok(&types, Some(b"text/html; charset=utf-8")));
        assert!(type_ok(&types, Some(b"TEXT/HTML")));
        assert!(type_ok(&types, Some(b"text/htmlx")));
        assert!(!type_ok(&types, Some(b"image/png")));
        assert!(!type_ok(&types, None));
        assert!(type_ok(&[], None));
        assert!(!type_ok(&[], Some(b"multipart/mixed")));
    }

    #[test]
    fn encoders_stream_what_decoders_read_back() {
        use std::io::Read;
        for algo in Algo::ALL {
            let mut e = Encoder::new(algo);
            let mut out = Vec::new();
            for part in [&b"hello "[..], b"compressed ", b"world"] {
                e.write(part);
                out.extend(e.flush());
            }
            out.extend(e.finish());
            let mut plain = Vec::new();
            let _ = match algo {
                Algo::Identity => (&out[..]).read_to_end(&mut plain),
                Algo::Gzip => flate2::read::GzDecoder::new(&out[..]).read_to_end(&mut plain),
                Algo::Deflate => flate2::read::ZlibDecoder::new(&out[..]).read_to_end(&mut plain),
                Algo::RawDeflate => {
                    flate2::read::DeflateDecoder::new(&out[..]).read_to_end(&mut plain)
                }
            };
            assert_eq!(plain, b"hello compressed world", "{algo:?}");
        }
    }
}
