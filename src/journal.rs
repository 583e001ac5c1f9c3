//! Headless lines that journald reads well. When systemd connects stdout or stderr to the
//! journal it sets `JOURNAL_STREAM=<device>:<inode>` of that stream (systemd.exec(5)); a
//! line written there may start with `<N>`, its syslog priority (sd-daemon(3)), and needs no
//! date of its own, since journald stamps each line. Anywhere else the lines keep lbtop's
//! date.

use crate::events::Level;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

/// How the headless printer frames each line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `27/Nov/2026:21:00:00.123 text`
    Dated,
    /// `<6>text`
    Journal,
}

impl Framing {
    /// The framing for stdout (`stderr == false`) or stderr, from the environment.
    pub fn detect(stderr: bool) -> Framing {
        let stream = std::env::var("JOURNAL_STREAM").ok();
        let id = if stderr {
            stream_id(std::io::stderr().as_fd())
        } else {
            stream_id(std::io::stdout().as_fd())
        };
        match (stream, id) {
            (Some(stream), Some(id)) if is_journal(&stream, id) => Framing::Journal,
            _ => Framing::Dated,
        }
    }

    /// `text` as one line for the stream, without its newline.
    pub fn line(self, level: Level, text: &str) -> String {
        match self {
            Framing::Journal => format!("<{}>{text}", level as u8),
            Framing::Dated => {
                let date = crate::engine::log::log_date(std::time::SystemTime::now());
                format!("{date} {text}")
            }
        }
    }
}

/// Whether `JOURNAL_STREAM`'s `device:inode` names the stream whose (device, inode) is `id`.
pub fn is_journal(journal_stream: &str, id: (u64, u64)) -> bool {
    let Some((dev, ino)) = journal_stream.trim().split_once(':') else {
        return false;
    };
    matches!((dev.parse::<u64>(), ino.parse::<u64>()), (Ok(d), Ok(i)) if (d, i) == id)
}

/// The (device, inode) of an open descriptor, if it can be read.
fn stream_id(fd: std::os::fd::BorrowedFd<'_>) -> Option<(u64, u64)> {
    let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
    let meta = file.metadata().ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_must_name_the_same_device_and_inode() {
        assert!(is_journal("8:1234", (8, 1234)));
        assert!(is_journal("8:1234\n", (8, 1234)));
        assert!(!is_journal("8:1235", (8, 1234)));
        assert!(!is_journal("9:1234", (8, 1234)));
        assert!(!is_journal("", (8, 1234)));
        assert!(!is_journal("8", (8, 1234)));
        assert!(!is_journal("x:y", (8, 1234)));
    }

    #[test]
    fn journal_lines_carry_the_priority_and_no_date() {
        assert_eq!(
            Framing::Journal.line(Level::Warning, "Server be/a is DOWN."),
            "<4>Server be/a is DOWN."
        );
        let dated = Framing::Dated.line(Level::Info, "hello");
        assert!(dated.ends_with(" hello") && dated.contains('/'), "{dated}");
    }
}
