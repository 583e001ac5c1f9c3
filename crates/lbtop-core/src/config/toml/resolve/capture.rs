//! A frontend's `log-format` and `capture` keys (docs/haproxy-semantics.md §25).

use super::super::raw::{RawCapture, RawCaptures};
use super::{Res, Resolver};
use crate::config::{Capture, Captures, LineFormat, Mode};
use toml::Spanned;

impl Resolver<'_> {
    /// `log-format = "..."`, checked as haproxy.cfg's is, HTTP variables refused in TCP mode.
    pub(super) fn line_format(
        &self,
        v: &Option<Spanned<String>>,
        who: &str,
        mode: Mode,
    ) -> Res<Option<LineFormat>> {
        let Some(v) = v else { return Ok(None) };
        let fail = |m: String| self.at(v, format!("{who}: failed to parse log-format : {m}"));
        let lf = LineFormat::compile(v.get_ref(), self.line(v.span().start)).map_err(fail)?;
        match (mode, lf.http_var()) {
            (Mode::Tcp, Some(var)) => Err(fail(format!(
                "format variable '{var}' is reserved for HTTP mode"
            ))),
            _ => Ok(Some(lf)),
        }
    }

    /// `capture = { request = [...], response = [...], cookie = {...} }`.
    pub(super) fn captures(&self, v: &Option<RawCaptures>, who: &str) -> Res<Captures> {
        let Some(c) = v else {
            return Ok(Captures::default());
        };
        let list = |side: &str, l: &[RawCapture]| -> Res<Vec<Capture>> {
            l.iter().map(|c| self.capture(c, who, side)).collect()
        };
        Ok(Captures {
            request: list("request", &c.request)?,
            response: list("response", &c.response)?,
            cookie: c
                .cookie
                .as_ref()
                .map(|c| self.capture(c, who, "cookie"))
                .transpose()?,
        })
    }

    fn capture(&self, c: &RawCapture, who: &str, side: &str) -> Res<Capture> {
        if c.name.get_ref().is_empty() {
            return Err(self.at(&c.name, format!("{who}: capture {side}: 'name' is empty")));
        }
        let what = format!("{who}: capture {side} '{}': 'len'", c.name.get_ref());
        let len = self.opt_int(&Some(c.len.clone()), &what, 0, 65_536)?;
        Ok(Capture {
            name: c.name.get_ref().clone(),
            len: len.unwrap_or(0) as usize,
        })
    }
}
