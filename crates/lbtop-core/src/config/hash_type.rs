//! `hash-type <method> <function> [avalanche]`: how the hash balance algorithms map a key to a
//! server (docs/haproxy-semantics.md §2.5).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashType {
    /// `consistent` (a ring of points per server) rather than `map-based` (hash modulo a
    /// table of servers).
    pub consistent: bool,
    pub function: HashFn,
    /// `avalanche`: the hash is mixed once more before use.
    pub avalanche: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashFn {
    #[default]
    Sdbm,
    Djb2,
    Wt6,
    Crc32,
}

impl HashFn {
    pub const NAMES: [&'static str; 4] = ["sdbm", "djb2", "wt6", "crc32"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn from_name(name: &str) -> Option<HashFn> {
        let all = [Self::Sdbm, Self::Djb2, Self::Wt6, Self::Crc32];
        all.into_iter().find(|f| f.as_str() == name)
    }
}

impl HashType {
    /// The words after `hash-type`, as HAProxy reads them.
    pub fn parse(args: &[String]) -> Result<HashType, String> {
        let consistent = match args.first().map(String::as_str) {
            Some("consistent") => true,
            Some("map-based") => false,
            _ => return Err("'hash-type' only supports 'consistent' and 'map-based'".into()),
        };
        let function = match args.get(1) {
            None => HashFn::Sdbm,
            Some(name) => HashFn::from_name(name).ok_or(
                "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions",
            )?,
        };
        // HAProxy: a bare `hash-type consistent` also mixes with avalanche (measured: the
        // servers match HAProxy's only so).
        let avalanche = match args.get(2).map(String::as_str) {
            None => consistent && args.len() == 1,
            Some("avalanche") => true,
            Some(_) => {
                return Err(
                    "'hash-type' only supports 'avalanche' as a modifier for hash \
                            functions"
                        .into(),
                )
            }
        };
        if let Some(extra) = args.get(3) {
            return Err(format!(
                "'hash-type' cannot handle unexpected argument '{extra}'"
            ));
        }
        Ok(HashType {
            consistent,
            function,
            avalanche,
        })
    }

    /// The words `lbtop export` writes after `hash-type`.
    pub fn words(self) -> String {
        let method = if self.consistent {
            "consistent"
        } else {
            "map-based"
        };
        let aval = if self.avalanche { " avalanche" } else { "" };
        format!("{method} {}{aval}", self.function.as_str())
    }
}
