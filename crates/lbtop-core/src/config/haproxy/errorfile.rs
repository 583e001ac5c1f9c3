//! `errorfile <code> <file>`: HAProxy reads the file when it starts and refuses a file it
//! cannot open, a status it does not handle, or bytes that are not an HTTP response
//! (docs/haproxy-semantics.md §3.9). `http-errors <name>` sections hold such files, and a
//! proxy's `errorfiles <name> [<code> ...]` takes them (all, or the codes named); with
//! `errorfile` lines in the same proxy, the last one written for a status wins.

use super::{Parser, Res};
use crate::config::ErrorFile;

/// A proxy's `errorfile` and `errorfiles` lines, in the order written: the sections they
/// name may come later in the file, so they are resolved once it is read.
#[derive(Debug, Clone)]
pub(super) enum ErrorDirective {
    File(ErrorFile),
    Section {
        name: String,
        codes: Vec<u16>,
        line: usize,
    },
}

/// An `http-errors` section.
#[derive(Debug, Clone)]
pub(super) struct HttpErrors {
    name: String,
    line: usize,
    files: Vec<ErrorFile>,
}

/// The statuses HAProxy 2.6 takes an `errorfile` for.
pub(super) const STATUSES: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
];

/// Reads `errorfile <code> <path>`'s file; the message says what is wrong, as HAProxy does.
pub(super) fn read_errorfile(code: &str, path: &str) -> Result<ErrorFile, String> {
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|c| STATUSES.contains(c))
        .ok_or_else(|| format!("errorfile : status code '{code}' not handled"))?;
    let bytes = std::fs::read(path)
        .map_err(|e| format!("errorfile : error opening file '{path}' ({e})"))?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => {
            return Err(format!(
                "errorfile : unable to parse '{path}' as an HTTP response (a status line, \
                 headers and an empty line)"
            ))
        }
    }
    Ok(ErrorFile {
        status,
        path: path.to_string(),
        bytes,
    })
}

/// `errorfiles <name> [<code> ...]`, checked now (the codes), resolved later (the name).
pub(super) fn errorfiles(line: usize, args: &[String]) -> Result<ErrorDirective, String> {
    let [name, codes @ ..] = args else {
        return Err("'errorfiles' expects <name> and optionally status codes as arguments".into());
    };
    let codes = codes
        .iter()
        .map(|c| {
            c.parse::<u16>()
                .ok()
                .filter(|c| STATUSES.contains(c))
                .ok_or_else(|| format!("errorfiles : status code '{c}' not handled."))
        })
        .collect::<Result<_, _>>()?;
    Ok(ErrorDirective::Section {
        name: name.clone(),
        codes,
        line,
    })
}

/// A proxy's error files: its directives folded in order, the last one for a status winning.
pub(super) fn fold(
    directives: &[ErrorDirective],
    sections: &[HttpErrors],
) -> Result<Vec<ErrorFile>, (usize, String)> {
    let mut files: Vec<ErrorFile> = Vec::new();
    let mut put = |file: &ErrorFile| {
        files.retain(|f| f.status != file.status);
        files.push(file.clone());
    };
    for d in directives {
        match d {
            ErrorDirective::File(f) => put(f),
            ErrorDirective::Section { name, codes, line } => {
                let section = sections
                    .iter()
                    .find(|s| s.name == *name)
                    .ok_or_else(|| (*line, format!("unknown http-errors section '{name}'")))?;
                let wanted = |f: &&ErrorFile| codes.is_empty() || codes.contains(&f.status);
                section.files.iter().filter(wanted).for_each(&mut put);
            }
        }
    }
    Ok(files)
}

impl Parser<'_> {
    /// `http-errors <name>`: the section's index.
    pub(super) fn open_http_errors(&mut self, no: usize, args: &[String]) -> Res<usize> {
        let [name, ..] = args else {
            return Err(self.err(no, "missing name for http-errors section."));
        };
        if let Some(s) = self.http_errors.iter().find(|s| s.name == *name) {
            let at = format!("{}:{}", self.path.display(), s.line);
            let message =
                format!("http-errors section '{name}' already exists (declared at {at}).");
            return Err(self.err(no, message));
        }
        self.http_errors.push(HttpErrors {
            name: name.clone(),
            line: no,
            files: Vec::new(),
        });
        Ok(self.http_errors.len() - 1)
    }

    /// A line of an `http-errors` section: only `errorfile` belongs there.
    pub(super) fn http_errors_statement(&mut self, no: usize, i: usize, w: &[String]) -> Res<()> {
        match (w[0].as_str(), &w[1..]) {
            ("errorfile", [code, path]) => {
                let file = read_errorfile(code, path).map_err(|m| self.err(no, m))?;
                let files = &mut self.http_errors[i].files;
                files.retain(|f| f.status != file.status);
                files.push(file);
                Ok(())
            }
            ("errorfile", _) => {
                Err(self.err(no, "'errorfile' expects <code> and <file> as arguments."))
            }
            (kw, _) => Err(self.err(
                no,
                format!("unknown keyword '{kw}' in 'http-errors' section"),
            )),
        }
    }

    /// Every proxy's `errorfile`/`errorfiles` lines become its error files, once every
    /// `http-errors` section is known.
    pub(super) fn resolve_errorfiles(&mut self) {
        for i in 0..self.proxies.len() {
            let p = &self.proxies[i];
            match fold(&p.settings.errors, &self.http_errors) {
                Ok(files) => self.proxies[i].settings.options.errorfiles = files,
                Err((line, message)) => {
                    let who = format!("proxy '{}'", p.name);
                    let e = self.err(line, format!("{who}: {message}"));
                    self.errors.push(e);
                }
            }
        }
    }
}
