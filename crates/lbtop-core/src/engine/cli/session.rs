//! One runtime API session, as HAProxy 2.6 runs it (docs/haproxy-semantics.md §27.1): lines
//! of commands separated by `;`, answered one after the other; without `prompt` the session
//! ends once no more input is waiting, with it each answer is followed by `> `.

use super::{run_words, Cmd, Level, Shared, DENIED};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The commands that change the session itself; [`Session::run`] answers them.
pub(crate) static ROWS: &[Cmd] = &[
    Cmd {
        words: &["operator"],
        help: "operator                                : lower the level of the current CLI session to operator",
        level: Level::Operator,
        run: unused,
    },
    Cmd {
        words: &["user"],
        help: "user                                    : lower the level of the current CLI session to user",
        level: Level::User,
        run: unused,
    },
    Cmd {
        words: &["set", "timeout"],
        help: "set timeout [cli] <delay>               : change a timeout setting",
        level: Level::User,
        run: unused,
    },
    Cmd {
        words: &["show", "cli", "level"],
        help: "show cli level                          : display the level of the current CLI session",
        level: Level::User,
        run: unused,
    },
    // HAProxy checks no level for it, only the socket's `expose-fd listeners` (measured: a
    // `level user` socket gives them too); `help` does not list it.
    Cmd {
        words: &["_getsocks"],
        help: "",
        level: Level::User,
        run: unused,
    },
];

/// Session rows are answered by [`Session::run`], which knows the session.
fn unused(_: &Shared, _: &[&str]) -> String {
    String::new()
}

/// HAProxy drops a line longer than its buffer (tune.bufsize, 16384) and closes, measured.
pub(crate) const MAX_LINE: usize = 16384;

/// One client's state.
pub(crate) struct Session {
    pub level: Level,
    pub prompt: bool,
    pub quit: bool,
    /// How long the session may wait for a line (`stats timeout`, `set timeout cli`).
    pub timeout: Duration,
    /// The socket has `expose-fd listeners`.
    pub expose_fd: bool,
    /// `_getsocks` was asked on such a socket: the session ends by giving the sockets.
    pub getsocks: bool,
}

impl Session {
    pub fn new(level: Level, timeout: Duration) -> Session {
        Session {
            level,
            prompt: false,
            quit: false,
            timeout,
            expose_fd: false,
            getsocks: false,
        }
    }

    /// Answers one line: each `;`-separated command in turn, until `quit`.
    pub fn line(&mut self, shared: &Shared, line: &str) -> String {
        let mut out = String::new();
        for words in split_commands(line) {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            out.push_str(&self.run(shared, &words));
            if self.quit {
                break;
            }
            if self.prompt {
                out.push_str("> ");
            }
        }
        out
    }

    /// Runs one command, the session's own first.
    pub fn run(&mut self, shared: &Shared, words: &[&str]) -> String {
        match words {
            ["quit", ..] => {
                self.quit = true;
                String::new()
            }
            ["prompt", ..] => {
                self.prompt = !self.prompt;
                "\n".into()
            }
            // Without `expose-fd listeners` HAProxy answers nothing and closes, measured.
            ["_getsocks", ..] => {
                self.getsocks = self.expose_fd;
                self.quit = true;
                String::new()
            }
            _ => match super::find(words) {
                Some(c) if c.words == ROWS[0].words => self.lower(Level::Operator),
                Some(c) if c.words == ROWS[1].words => self.lower(Level::User),
                Some(c) if c.words == ROWS[2].words => self.set_timeout(&words[2..]),
                Some(c) if c.words == ROWS[3].words => {
                    format!("{}\n\n", self.level.word())
                }
                _ => run_words(shared, self.level, words),
            },
        }
    }

    /// `operator` / `user`: a session may only lower its level.
    fn lower(&mut self, to: Level) -> String {
        if self.level < to {
            return DENIED.into();
        }
        self.level = to;
        "\n".into()
    }

    /// `set timeout cli <seconds>`: the number is read as C's `atoi` reads it (`5s` is 5).
    fn set_timeout(&mut self, args: &[&str]) -> String {
        match args {
            ["cli", value, ..] => {
                let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
                match digits.parse::<u64>() {
                    Ok(n) if n > 0 => {
                        self.timeout = Duration::from_secs(n.min(i32::MAX as u64 / 1000));
                        "\n".into()
                    }
                    _ => "Invalid timeout value.\n\n".into(),
                }
            }
            ["cli"] => "Expects an integer value.\n\n".into(),
            _ => "'set timeout' only supports 'cli'.\n\n".into(),
        }
    }
}

/// The words of one command (a line without `;`), as [`split_commands`] reads them.
pub(crate) fn split_words(line: &str) -> Vec<String> {
    split_commands(line).into_iter().next().unwrap_or_default()
}

/// A line's commands, split at `;`, each into words split at spaces and tabs; a backslash
/// takes the next character as it is (`\;`, `\ `). An empty command stays (HAProxy answers
/// it with the list of commands). HAProxy's words are C strings: a NUL ends the line.
pub(crate) fn split_commands(line: &str) -> Vec<Vec<String>> {
    let line = line.split('\0').next().unwrap_or("");
    let mut commands = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            ';' => {
                let cmd = commands.last_mut().expect("one command at least");
                cmd.extend(word.take());
                commands.push(Vec::new());
            }
            ' ' | '\t' => {
                let cmd = commands.last_mut().expect("one command at least");
                cmd.extend(word.take());
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    commands
        .last_mut()
        .expect("one command at least")
        .extend(word.take());
    commands
}

/// What reading a line gave.
enum Read {
    Line(String),
    /// The client closed, went silent past the timeout, or sent a line too long.
    End,
}

/// Serves one client until it quits, closes, idles past the timeout, or (without `prompt`)
/// has nothing more waiting after its answer.
pub(crate) async fn serve<S>(shared: &Shared, mut io: S, mut session: Session)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    converse(shared, &mut io, &mut session).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), io.shutdown()).await;
}

/// As [`serve`] on a unix socket, where `_getsocks` may end the session by giving the
/// listening sockets (docs/haproxy-semantics.md §31).
pub(crate) async fn serve_unix(
    shared: &Shared,
    mut io: tokio::net::UnixStream,
    mut session: Session,
) {
    converse(shared, &mut io, &mut session).await;
    if !session.getsocks {
        let _ = tokio::time::timeout(Duration::from_secs(1), io.shutdown()).await;
        return;
    }
    let (Ok(stream), Ok(inv)) = (io.into_std(), shared.dup_sockets()) else {
        return;
    };
    let _ = tokio::task::spawn_blocking(move || {
        let fds = inv.into_fds();
        let borrowed: Vec<_> = fds.iter().map(std::os::fd::AsFd::as_fd).collect();
        crate::engine::getsocks::send(&stream, &borrowed)
    })
    .await;
}

/// The lines and answers of one session, until it ends.
async fn converse<S>(shared: &Shared, io: &mut S, session: &mut Session)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut io = io;
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut first = true;
    loop {
        // Without `prompt`, a session ends once its line is answered and nothing more waits.
        if !first
            && !session.prompt
            && !buf.contains(&b'\n')
            && !more_waiting(&mut io, &mut buf).await
        {
            break;
        }
        first = false;
        let line = match read_line(&mut io, &mut buf, session.timeout).await {
            Read::Line(l) => l,
            Read::End => break,
        };
        // The newest generation answers: a reload does not leave a session on the old one.
        let latest = shared.latest();
        let answer = session.line(latest.as_deref().unwrap_or(shared), &line);
        let write = tokio::time::timeout(session.timeout, io.write_all(answer.as_bytes()));
        if !matches!(write.await, Ok(Ok(()))) || session.quit {
            break;
        }
    }
}

/// Whether the client already sent more: reads what is there now, without waiting.
async fn more_waiting<S: AsyncRead + Unpin>(io: &mut S, buf: &mut Vec<u8>) -> bool {
    if !buf.is_empty() {
        return true;
    }
    let mut chunk = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_millis(1), io.read(&mut chunk)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
        _ => false,
    }
}

/// The next line (without its `\n` or `\r\n`), reading at most [`MAX_LINE`] bytes for it.
async fn read_line<S: AsyncRead + Unpin>(io: &mut S, buf: &mut Vec<u8>, timeout: Duration) -> Read {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(at) = buf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = buf.drain(..=at).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Read::Line(String::from_utf8_lossy(&line).into_owned());
        }
        if buf.len() >= MAX_LINE {
            return Read::End;
        }
        let mut chunk = [0u8; 4096];
        let room = (MAX_LINE - buf.len()).min(chunk.len());
        match tokio::time::timeout_at(deadline, io.read(&mut chunk[..room])).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return Read::End,
        }
    }
}
