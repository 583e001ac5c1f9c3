//! A streaming decoder for chunked request bodies (RFC 9112 §7.1). It never buffers: chunk data
//! is handed out as slices of the input, and extensions and trailers are skipped byte by byte.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
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
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            state: State::Size,
            size: 0,
            digits: 0,
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

    fn step(&mut self, byte: u8) -> Result<(), Invalid> {
        use State::*;
        self.state = match (self.state, byte) {
            (Size, b) if b.is_ascii_hexdigit() => {
                // 15 hex digits keep the size well inside u64.
                if self.digits == 15 {
                    return Err(Invalid);
                }
                self.digits += 1;
                self.size = self.size * 16 + (b as char).to_digit(16).unwrap_or(0) as u64;
                Size
            }
            (Size, b';' | b' ' | b'\t') if self.digits > 0 => Extension,
            (Size, b'\r') if self.digits > 0 => SizeLf,
            (Extension, b'\r') => SizeLf,
            (Extension, b'\n') => return Err(Invalid),
            (Extension, _) => Extension,
            (SizeLf, b'\n') if self.size == 0 => TrailerStart,
            (SizeLf, b'\n') => Data,
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => {
                self.digits = 0;
                Size
            }
            (TrailerStart, b'\r') => FinalLf,
            (TrailerStart | Trailer, b'\n') => return Err(Invalid),
            (Trailer, b'\r') => TrailerLf,
            (TrailerStart | Trailer, _) => Trailer,
            (TrailerLf, b'\n') => TrailerStart,
            (FinalLf, b'\n') => Done,
            _ => return Err(Invalid),
        };
        Ok(())
    }
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
            b"5\nhello",
            b"ffffffffffffffff\r\n",
            b"0\r\nbad\n",
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
