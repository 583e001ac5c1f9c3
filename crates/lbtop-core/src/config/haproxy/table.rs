//! Keyword tables. Every keyword lbtop knows is one [`Row`] of its family's table, as in
//! HAProxy's keyword lists (`cfg_kws`, `srv_kws`, ...): its name, the arguments it takes, the
//! sections it may be written in, how it is read, and its [`Status`]. The readers of each
//! family look a statement's keyword up in its table, so checking the arguments, refusing an
//! unsupported keyword, warning about one lbtop does not apply, and suggesting a near miss
//! all follow from the row.

use super::sections::{Ctx, Kind};
use super::{Parser, Res};
use crate::suggest::closest;

/// One keyword. `F` is how its family reads it (a function filling the settings, or a few
/// such functions).
pub(super) struct Row<F> {
    pub(super) name: &'static str,
    pub(super) args: Args,
    pub(super) sections: Sections,
    pub(super) status: Status,
    pub(super) how: F,
}

/// What lbtop does with a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// lbtop does what the keyword says.
    Implemented,
    /// Read and kept (so `lbtop export` writes it back for HAProxy), but the engine does not
    /// act on it yet: loads with a warning saying what lbtop does instead. No keyword needs it
    /// today; kept as the way to add one.
    #[allow(dead_code)]
    NotApplied(&'static str),
    /// Tunes something lbtop does not have (HAProxy's internals, its process): checked, then
    /// loads with a warning giving the reason.
    Ignored(&'static str),
    /// An HAProxy keyword lbtop refuses, naming it, rather than calling it unknown.
    Unsupported,
}

impl Status {
    /// The load warning this status earns, for a keyword named as `display` (`'maxpipes'`,
    /// `backend 'b': server 's': 'weight'`).
    pub(super) fn warning(self, display: &str) -> Option<String> {
        match self {
            Status::NotApplied(instead) => Some(format!(
                "{display} is accepted but lbtop does not apply it yet: {instead}"
            )),
            Status::Ignored(why) => Some(format!("{display} ignored: {why}")),
            Status::Implemented | Status::Unsupported => None,
        }
    }
}

/// The arguments after a keyword.
#[derive(Debug, Clone, Copy)]
pub(super) enum Args {
    /// None: a word after it is an error.
    None,
    /// Exactly one, described as messages say what is expected ("an integer", "http or tcp").
    One(&'static str),
    /// Between `min` and `max` words, whatever they are.
    Count(usize, usize),
    /// Any: the keyword's reader checks them.
    Any,
}

impl Args {
    /// Checks the words after a keyword that messages name as `what` (`'mode'`,
    /// `global: 'maxconn'`, `'option httplog'`).
    pub(super) fn check(self, args: &[String], what: &str) -> Result<(), String> {
        match self {
            Args::None => match args.first() {
                Some(extra) => Err(format!(
                    "{what} cannot handle unexpected argument '{extra}'"
                )),
                None => Ok(()),
            },
            Args::One(expects) => one_arg(args, what, expects).map(|_| ()),
            Args::Count(min, max) if !(min..=max).contains(&args.len()) => {
                let want = match (min, max) {
                    (0, 0) => "no argument",
                    (0, 1) => "at most one argument",
                    (1, 1) => "one argument",
                    _ => "an argument",
                };
                Err(format!("{what} expects {want}"))
            }
            Args::Count(..) | Args::Any => Ok(()),
        }
    }

    /// How many of the words that follow it a keyword in a list of options takes (`server`
    /// parameters, `stats socket` options): a value, or none for a flag.
    pub(super) fn taken(self) -> usize {
        match self {
            Args::One(_) => 1,
            _ => 0,
        }
    }
}

/// The sections a keyword may be written in, and what happens in a proxy section that lacks
/// the side (frontend or backend) it needs: HAProxy's "capabilities".
#[derive(Debug, Clone, Copy)]
pub(super) struct Sections {
    kinds: u8,
    elsewhere: Elsewhere,
}

#[derive(Debug, Clone, Copy)]
enum Elsewhere {
    /// HAProxy's warning "'kw' ignored because ... has no ... capability", then this hint.
    Ignored(&'static str),
    /// An error: "'kw' not allowed because ... has no ... capability".
    Refused,
    /// HAProxy's own warning for this keyword, after the proxy's name.
    Says(&'static str),
}

const GLOBAL: u8 = 1;
const DEFAULTS: u8 = 2;
const FRONTEND: u8 = 4;
const BACKEND: u8 = 8;
const LISTEN: u8 = 16;

impl Sections {
    pub(super) const GLOBAL: Sections = Sections::of(GLOBAL);
    /// Every proxy section: `defaults`, `frontend`, `backend` and `listen`.
    pub(super) const PROXIES: Sections = Sections::of(DEFAULTS | FRONTEND | BACKEND | LISTEN);
    /// Sections with HAProxy's frontend capability: `defaults`, `frontend`, `listen`.
    pub(super) const FE: Sections = Sections::of(DEFAULTS | FRONTEND | LISTEN);
    /// Sections with HAProxy's backend capability: `defaults`, `backend`, `listen`.
    pub(super) const BE: Sections = Sections::of(DEFAULTS | BACKEND | LISTEN);
    /// A real frontend: `frontend`, `listen` (not `defaults`).
    pub(super) const FRONTENDS: Sections = Sections::of(FRONTEND | LISTEN);
    /// Any proxy but `defaults`: `frontend`, `backend`, `listen`.
    pub(super) const NAMED: Sections = Sections::of(FRONTEND | BACKEND | LISTEN);
    /// A real backend: `backend`, `listen` (not `defaults`).
    pub(super) const BACKENDS: Sections = Sections::of(BACKEND | LISTEN);

    const fn of(kinds: u8) -> Sections {
        Sections {
            kinds,
            elsewhere: Elsewhere::Ignored(""),
        }
    }

    /// Refused, not ignored, where the side it needs is missing.
    pub(super) const fn refused_elsewhere(self) -> Sections {
        Sections {
            elsewhere: Elsewhere::Refused,
            ..self
        }
    }

    /// Ignored with HAProxy's capability warning followed by `hint`.
    pub(super) const fn hint_elsewhere(self, hint: &'static str) -> Sections {
        Sections {
            elsewhere: Elsewhere::Ignored(hint),
            ..self
        }
    }

    /// Ignored with this warning (after the proxy's name) where the side it needs is missing.
    pub(super) const fn says_elsewhere(self, warning: &'static str) -> Sections {
        Sections {
            elsewhere: Elsewhere::Says(warning),
            ..self
        }
    }

    pub(super) fn allows(self, kind: Kind) -> bool {
        let bit = match kind {
            Kind::Defaults => DEFAULTS,
            Kind::Frontend => FRONTEND,
            Kind::Backend => BACKEND,
            Kind::Listen => LISTEN,
        };
        self.kinds & bit != 0
    }
}

impl Parser<'_> {
    /// Whether a keyword that `sections` allows, named `what` in messages, applies in `ctx`'s
    /// section: `false` when it is ignored there (the warning is given), an error when it is
    /// refused there.
    pub(super) fn applies(
        &mut self,
        no: usize,
        ctx: &Ctx,
        sections: Sections,
        what: &str,
    ) -> Res<bool> {
        if sections.allows(ctx.kind) {
            return Ok(true);
        }
        let who = &ctx.who;
        if ctx.kind == Kind::Defaults {
            return Err(self.err(
                no,
                format!("{who}: '{what}' not allowed in 'defaults' section"),
            ));
        }
        let missing = if sections.kinds & FRONTEND != 0 {
            "frontend"
        } else {
            "backend"
        };
        match sections.elsewhere {
            Elsewhere::Ignored(hint) => self.warn(
                no,
                format!("'{what}' ignored because {who} has no {missing} capability{hint}"),
            ),
            Elsewhere::Refused => {
                return Err(self.err(
                    no,
                    format!("'{what}' not allowed because {who} has no {missing} capability"),
                ))
            }
            Elsewhere::Says(warning) => self.warn(no, format!("{who} : {warning}")),
        }
        Ok(false)
    }
}

/// The row named `name`.
pub(super) fn find<F>(rows: &'static [Row<F>], name: &str) -> Option<&'static Row<F>> {
    rows.iter().find(|r| r.name == name)
}

/// Every name in a table, in its order (the first of equally close names is suggested).
pub(super) fn names<F>(rows: &[Row<F>]) -> Vec<&'static str> {
    rows.iter().map(|r| r.name).collect()
}

/// A table's names and the section keywords: a misspelt section line (`fronted main`) is read
/// as a keyword of the section before it, and HAProxy suggests the section keyword.
pub(super) fn with_sections(mut names: Vec<&'static str>) -> Vec<&'static str> {
    names.extend(super::sections::SECTIONS);
    names
}

/// `; did you mean 'x'?` when one candidate is close.
pub(super) fn suggest(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("; did you mean '{c}'?"),
        None => String::new(),
    }
}

/// Exactly one argument.
pub(super) fn one_arg<'w>(
    args: &'w [String],
    what: &str,
    expects: &str,
) -> Result<&'w str, String> {
    match args {
        [one] => Ok(one.as_str()),
        [] => Err(format!("{what} expects {expects}")),
        [_, extra, ..] => Err(format!(
            "{what} cannot handle unexpected argument '{extra}'"
        )),
    }
}

/// One statement: its line, its keyword and the words after it.
pub(super) struct Stmt<'a> {
    pub(super) no: usize,
    pub(super) kw: &'a str,
    pub(super) args: &'a [String],
}

impl Stmt<'_> {
    /// The first argument, or `""`.
    pub(super) fn arg(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }
}
