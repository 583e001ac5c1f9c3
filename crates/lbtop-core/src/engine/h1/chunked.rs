//! A streaming decoder for chunked bodies (RFC 9112 §7.1), as strict as HAProxy's: a size is hex
//! digits, then optional blanks, then an optional extension, then the line end. Bare LF line
//! ends are accepted, as HAProxy accepts them. It never buffers data: chunk data is handed out
//! as slices of the input. Extensions are dropped; trailer lines are checked and kept, so
//! [`Decoder::encode_end`] can hand them on in a body that lbtop chunks afresh, the way
//! HAProxy re-encodes every chunked body it forwards.

use std::io::Write;

/// A trailer section larger than this is refused (as a head larger than HAProxy's buffer is).
const MAX_TRAILERS: usize = 15 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    SizeBlank,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    FinalLf,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

#[derive(Debug, Clone)]
pub struct Decoder {
    state: State,
    size: u64,
    digits: u8,
    /// The trailer line being read.
    line: Vec<u8>,
    /// Checked trailer lines, `name: value\r\n` with the name lower-cased.
    trailers: Vec<u8>,
    /// The framing headers among the trailers: HAProxy checks them as in a head.
    framing: super::framing::Framed,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            state: State::Size,
            size: 0,
            digits: 0,
            line: Vec::new(),
            trailers: Vec::new(),
            framing: Default::default(),
        }
    }
}

impl Decoder {
    /// The last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `input` as it can, passing chunk data to `data`. Returns how many
    /// bytes were used: all of them, unless the body ended inside `input`.
    pub fn decode(&mut self, input: &[u8], mut data: impl FnMut(&[u8])) -> Result<usize, Invalid> {
        let mut at = 0;
        while at < input.len() && self.state != State::Done {
            if self.state == State::Data {
                let n = (input.len() - at).min(self.size as usize);
                data(&input[at..at + n]);
                at += n;
                self.size -= n as u64;
                if self.size == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            self.step(input[at])?;
            at += 1;
        }
        Ok(at)
    }

    /// Whether `input` holds a framing error, without moving this decoder: lets a proxy refuse
    /// a body whose error has already arrived before it forwards anything, as HAProxy does.
    pub fn finds_error(&self, input: &[u8]) -> bool {
        let mut probe = self.clone();
        probe.decode(input, |_| {}).is_err()
    }

    /// Writes one chunk of `data` in canonical form (no extension).
    pub fn encode_chunk(out: &mut Vec<u8>, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let _ = write!(out, "{:x}\r\n", data.len());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    /// Writes the last chunk and the trailers read.
    pub fn encode_end(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"0\r\n");
        out.extend_from_slice(&self.trailers);
        out.extend_from_slice(b"\r\n");
    }

    fn step(&mut self, byte: u8) -> Result<(), Invalid> {
        use State::*;
        self.state = match (self.state, byte) {
            (Size, b) if b.is_ascii_hexdigit() => {
                // HAProxy refuses a digit that would take the size past 52 bits (measured:
                // 13 `f`s pass, a 14th is refused at once); leading zeros are free.
                if self.size >= 1 << 48 {
                    return Err(Invalid);
                }
                self.digits = self.digits.saturating_add(1);
                self.size = self.size * 16 + (b as char).to_digit(16).unwrap_or(0) as u64;
                Size
            }
            (Size, _) if self.digits == 0 => return Err(Invalid),
            (Size | SizeBlank, b' ' | b'\t') => SizeBlank,
            (Size | SizeBlank, b';') => Extension,
            (Size | SizeBlank | Extension, b'\r') => SizeLf,
            (Size | SizeBlank | Extension | SizeLf, b'\n') => self.size_line_end(),
            (Extension, _) => Extension,
            (DataCr, b'\r') => DataLf,
            (DataCr | DataLf, b'\n') => {
                self.digits = 0;
                Size
            }
            (TrailerStart, b'\r') => FinalLf,
            (TrailerStart | FinalLf, b'\n') => Done,
            (Trailer, b'\r') => TrailerLf,
            (Trailer | TrailerLf, b'\n') => {
                self.keep_trailer()?;
                TrailerStart
            }
            (TrailerStart | Trailer, b) => {
                if self.line.len() + self.trailers.len() >= MAX_TRAILERS {
                    return Err(Invalid);
                }
                self.line.push(b);
                Trailer
            }
            _ => return Err(Invalid),
        };
        Ok(())
    }

    fn size_line_end(&mut self) -> State {
        if self.size == 0 {
            State::TrailerStart
        } else {
            State::Data
        }
    }

    /// Checks a trailer line as a header field (`token ":" value`) and keeps it.
    fn keep_trailer(&mut self) -> Result<(), Invalid> {
        let line = std::mem::take(&mut self.line);
        let colon = line.iter().position(|&b| b == b':').ok_or(Invalid)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(Invalid);
        }
        let value = value.trim_ascii();
        if value.iter().any(|&b| b != b'\t' && (b < 0x20 || b == 0x7f)) {
            return Err(Invalid);
        }
        // A `Transfer-Encoding` or `Content-Length` trailer must be one a head could carry
        // (`gzip` or `chunked, chunked`, `x` or `5, 6` are refused), as HAProxy's parser
        // reads trailers as it reads heads (measured: 400; docs/haproxy-semantics.md §7).
        let header = httparse::Header {
            name: std::str::from_utf8(name).map_err(|_| Invalid)?,
            value,
        };
        self.framing.note(&header).ok_or(Invalid)?;
        if self.framing.coding() == super::framing::Coding::Broken {
            return Err(Invalid);
        }
        super::head::header_line(&mut self.trailers, name, value);
        Ok(())
    }
}

/// RFC 9110 §5.6.2 token characters.
pub fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testkit::for_mutations;

    fn decode_all(input: &[u8]) -> Result<(Vec<u8>, usize, bool), Invalid> {
        let mut out = Vec::new();
        let mut d = Decoder::default();
        let used = d.decode(input, |s| out.extend_from_slice(s))?;
        Ok((out, used, d.is_done()))
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        let body = b"5\r\nhello\r\n6;name=v\r\n world\r\n0\r\nx-t: 1\r\n\r\nNEXT";
        let (out, used, done) = decode_all(body).unwrap();
        assert_eq!(out, b"hello world");
        assert!(done);
        assert_eq!(&body[used..], b"NEXT", "stops at the end of the body");
        // Leading zeros are free; 13 hex digits are the most a size may take.
        let zeros = b"0000000000000000000001\r\nx\r\n0\r\n\r\n";
        assert_eq!(decode_all(zeros).unwrap().0, b"x");
        let mut d = Decoder::default();
        assert!(d.decode(b"fffffffffffff", |_| {}).is_ok());
    }

    /// Measured on HAProxy 2.6.12: a request whose trailers carry these is answered 400, or
    /// forwarded.
    #[test]
    fn framing_trailers_are_checked_as_in_a_head() {
        let cases: &[(&str, bool)] = &[
            ("Transfer-Encoding: chunked", true),
            ("Transfer-Encoding: gzip, chunked", true),
            ("Transfer-Encoding: gzip", false),
            ("Transfer-Encoding: chunke;d", false),
            ("Transfer-Encoding: chunked, chunked", false),
            ("Content-Length: 5", true),
            ("Content-Length: x", false),
            ("Content-Length: 5, 6", false),
            ("Content-Length: 5\r\nContent-Length: 6", false),
            ("Connection: close", true),
            ("Host: other", true),
        ];
        for (trailers, ok) in cases {
            let body = format!("0\r\n{trailers}\r\n\r\n");
            assert_eq!(decode_all(body.as_bytes()).is_ok(), *ok, "{trailers}");
        }
    }

    #[test]
    fn blanks_bare_lf_and_canonical_re_encoding() {
        let body = b"5 \t;a=b\nhello\n6;x\r\n world\r\n0\r\nX-T:  1 \r\nY: 2\n\n";
        let (out, used, done) = decode_all(body).unwrap();
        assert_eq!(
            (out.as_slice(), used, done),
            (&b"hello world"[..], body.len(), true)
        );
        let mut d = Decoder::default();
        let mut again = Vec::new();
        d.decode(body, |s| Decoder::encode_chunk(&mut again, s))
            .unwrap();
        d.encode_end(&mut again);
        assert_eq!(
            again,
            b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-t: 1\r\ny: 2\r\n\r\n"
        );
        assert!(Decoder::default().finds_error(b"5 junk\r\n"));
        assert!(!Decoder::default().finds_error(b"5\r\nhel"));
    }

    #[test]
    fn any_split_gives_the_same_bytes() {
        let body = b"a\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n";
        for cut in 0..body.len() {
            let mut d = Decoder::default();
            let mut out = Vec::new();
            let a = d
                .decode(&body[..cut], |s| out.extend_from_slice(s))
                .unwrap();
            assert_eq!(a, cut);
            d.decode(&body[cut..], |s| out.extend_from_slice(s))
                .unwrap();
            assert_eq!(out, b"0123456789abc");
            assert!(d.is_done());
        }
    }

    #[test]
    fn refuses_malformed_framing() {
        for bad in [
            &b"g\r\n"[..],
            b"\r\n",
            b"5\r\nhelloX",
            b"0x5\r\n",
            b" 5\r\n",
            b"5 junk\r\n",
            b"5\rX",
            b"ffffffffffffffff\r\n",
            b"10000000000000005\r\n",
            b"ffffffffffffff",
            b"10000000000000",
            b"0\r\nbad\n",
            b"0\r\nbad name: v\r\n",
            b"0\r\n: v\r\n",
        ] {
            assert_eq!(decode_all(bad), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = b"4\r\nwiki\r\n5;x\r\npedia\r\n0\r\nt: v\r\n\r\n";
        for_mutations(base, 0xc0ffee, b"0123456789abcdefxyz;:\r\n ", 5000, |m| {
            let mut d = Decoder::default();
            let mut total = 0;
            if let Ok(used) = d.decode(m, |s| total += s.len()) {
                assert!(used <= m.len() && total <= m.len());
            }
        });
    }
}
