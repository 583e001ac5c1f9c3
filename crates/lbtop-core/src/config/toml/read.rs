//! The first pass, serde, made to report every misspelt key of a file rather than the first.
//!
//! serde stops at the first unknown key. So the key's line (from the key on) is blanked out
//! and the text read again; line numbers never move, since only the inside of a line changes.
//! When the blanked key was a misspelling of a required key (`nmae = "web11"`), the next read
//! misses that key: the line is then written back under the name it was close to, so the read
//! goes on without reporting an error the user did not make. Any other error ends the reading.

use super::messages::backticked;
use super::raw::RawConfig;
use super::resolve::Resolver;
use crate::config::ConfigError;
use crate::suggest::closest;
use std::path::Path;

/// Most errors one reading reports.
const MAX_ERRORS: usize = 100;

/// A blanked unknown key: where, what was there, and the known key it was closest to.
struct Blanked {
    line: usize,
    col: usize,
    original: String,
    close_to: Option<String>,
}

/// Reads `text` into the `Raw*` structs, or every error found on the way.
pub(super) fn read(path: &Path, text: &str) -> Result<RawConfig, Vec<ConfigError>> {
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let mut blanked: Vec<Blanked> = Vec::new();
    let mut errors = Vec::new();
    loop {
        let work = lines.join("\n");
        let e = match ::toml::from_str::<RawConfig>(&work) {
            Ok(raw) if errors.is_empty() => return Ok(raw),
            Ok(_) => return Err(errors),
            Err(e) => e,
        };
        let msg = e.message().trim();
        let span = e.span().unwrap_or(0..0);
        if msg.starts_with("missing field") && !blanked.is_empty() {
            // Only a key the user misspelt can be missing here: write it back, or stop.
            let wanted = backticked(msg).first().map(|k| k.to_string());
            if !restore(
                &mut lines,
                &mut blanked,
                wanted.as_deref(),
                span.start,
                &work,
            ) {
                return Err(errors);
            }
            continue;
        }
        let r = Resolver {
            path,
            text: &work,
            warnings: Default::default(),
            errors: Default::default(),
        };
        errors.push(r.toml_error(&e));
        if !msg.starts_with("unknown field") || errors.len() >= MAX_ERRORS {
            return Err(errors);
        }
        let Some(b) = blank(&mut lines, &work, span.start, msg) else {
            return Err(errors);
        };
        blanked.push(b);
    }
}

/// Blanks the line of the unknown key at byte `pos` of `work`, from the key on, if what is left
/// is still TOML.
fn blank(lines: &mut [String], work: &str, pos: usize, msg: &str) -> Option<Blanked> {
    let before = work.get(..pos)?;
    let line = before.matches('\n').count();
    let col = pos - before.rfind('\n').map_or(0, |i| i + 1);
    let text = lines.get(line)?;
    let original = text.get(col..)?.to_string();
    let ticked = backticked(msg);
    let key = ticked.first()?.to_string();
    let close_to = closest(&key, ticked.get(1..).unwrap_or(&[])).map(String::from);
    let mut next = text.get(..col)?.to_string();
    next.push_str(&" ".repeat(original.len()));
    let saved = std::mem::replace(&mut lines[line], next);
    if ::toml::from_str::<::toml::Table>(&lines.join("\n")).is_err() {
        lines[line] = saved;
        return None;
    }
    Some(Blanked {
        line,
        col,
        original,
        close_to,
    })
}

/// Writes back, under the name `wanted`, the blanked key that was closest to it, in the table
/// at or after byte `table_pos` of `work`. `false` when there is none.
fn restore(
    lines: &mut [String],
    blanked: &mut Vec<Blanked>,
    wanted: Option<&str>,
    table_pos: usize,
    work: &str,
) -> bool {
    let Some(wanted) = wanted else { return false };
    let table_line = work.get(..table_pos).map_or(0, |t| t.matches('\n').count());
    let Some(i) = blanked
        .iter()
        .position(|b| b.line >= table_line && b.close_to.as_deref() == Some(wanted))
    else {
        return false;
    };
    let b = blanked.remove(i);
    // The key may have been quoted: keep what follows its '='.
    let Some(eq) = b.original.find('=') else {
        return false;
    };
    let mut line = lines[b.line].get(..b.col).unwrap_or_default().to_string();
    line.push_str(wanted);
    line.push(' ');
    line.push_str(&b.original[eq..]);
    let saved = std::mem::replace(&mut lines[b.line], line);
    if ::toml::from_str::<::toml::Table>(&lines.join("\n")).is_err() {
        lines[b.line] = saved;
        return false;
    }
    true
}
