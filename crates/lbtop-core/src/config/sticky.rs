//! Persistence: a backend's `cookie` (docs/haproxy-semantics.md §24).

/// How the persistence cookie reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieMode {
    /// lbtop adds `Set-Cookie: NAME=<server's cookie>; path=/...` to the responses of
    /// sessions it balanced.
    Insert,
    /// The server sets the cookie; lbtop replaces its value with the server's cookie.
    Rewrite,
    /// The server sets the cookie; lbtop puts `<server's cookie>~` before its value, and takes
    /// it off again in requests.
    Prefix,
}

impl CookieMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CookieMode::Insert => "insert",
            CookieMode::Rewrite => "rewrite",
            CookieMode::Prefix => "prefix",
        }
    }
}

/// `cookie <name> <mode> [indirect] [nocache] [postonly] [preserve] [httponly] [secure]
/// [domain <d>]* [attr <a>]*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub mode: CookieMode,
    /// Insert mode: the cookie is taken out of requests before they reach the server, and the
    /// server's own cookie of that name out of responses.
    pub indirect: bool,
    /// Responses that get a cookie inserted are marked `Cache-Control: private` when a cache
    /// could keep them.
    pub nocache: bool,
    /// Insert only in responses to POST requests.
    pub postonly: bool,
    /// A cookie of that name the server sets is left alone, and none is inserted then.
    pub preserve: bool,
    pub httponly: bool,
    pub secure: bool,
    pub domains: Vec<String>,
    pub attrs: Vec<String>,
    pub line: usize,
}

impl Cookie {
    /// The value of the `Set-Cookie` header inserted for a server with cookie `value`, or for
    /// a server without one (`None`: the cookie is cleared), attributes in HAProxy's order.
    pub fn set_cookie(&self, value: Option<&str>) -> String {
        let mut out = match value {
            Some(v) => format!("{}={v}; path=/", self.name),
            None => format!(
                "{}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/",
                self.name
            ),
        };
        for d in &self.domains {
            out.push_str("; domain=");
            out.push_str(d);
        }
        if self.httponly {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        for a in &self.attrs {
            out.push_str("; ");
            out.push_str(a);
        }
        out
    }

    /// The words of its `cookie` line after the keyword.
    pub fn words(&self) -> Vec<String> {
        let mut w = vec![self.name.clone(), self.mode.as_str().to_string()];
        let flags = [
            (self.indirect, "indirect"),
            (self.nocache, "nocache"),
            (self.postonly, "postonly"),
            (self.preserve, "preserve"),
            (self.httponly, "httponly"),
            (self.secure, "secure"),
        ];
        w.extend(flags.iter().filter(|f| f.0).map(|f| f.1.to_string()));
        for d in &self.domains {
            w.extend(["domain".to_string(), d.clone()]);
        }
        for a in &self.attrs {
            w.extend(["attr".to_string(), a.clone()]);
        }
        w
    }
}

/// Reads the words after `cookie`: HAProxy 2.6's checks and messages.
pub fn parse_cookie(args: &[String], line: usize) -> Result<(Cookie, Vec<String>), String> {
    let Some(name) = args.first() else {
        return Err("'cookie' expects <cookie_name> as argument.".into());
    };
    let mut warnings = Vec::new();
    let mut mode = None;
    let mut c = Cookie {
        name: name.clone(),
        mode: CookieMode::Insert,
        indirect: false,
        nocache: false,
        postonly: false,
        preserve: false,
        httponly: false,
        secure: false,
        domains: Vec::new(),
        attrs: Vec::new(),
        line,
    };
    let mut words = args[1..].iter().map(String::as_str);
    while let Some(w) = words.next() {
        let new_mode = match w {
            "insert" => Some(CookieMode::Insert),
            "rewrite" => Some(CookieMode::Rewrite),
            "prefix" => Some(CookieMode::Prefix),
            _ => None,
        };
        if let Some(m) = new_mode {
            if mode.is_some_and(|old| old != m) {
                return Err(
                    "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.".into(),
                );
            }
            mode = Some(m);
            continue;
        }
        match w {
            "indirect" => c.indirect = true,
            "nocache" => c.nocache = true,
            "postonly" => c.postonly = true,
            "preserve" => c.preserve = true,
            "httponly" => c.httponly = true,
            "secure" => c.secure = true,
            "domain" => {
                let d = words
                    .next()
                    .ok_or("'domain' expects <domain> as argument.")?;
                if !d.starts_with('.') && !d.contains('.') {
                    warnings.push(format!(
                        "domain '{d}' contains no embedded dot, this configuration may not \
                         work properly (see RFC6265#5.2.3)."
                    ));
                }
                c.domains.push(d.to_string());
            }
            "attr" => {
                let a = words.next().ok_or("'attr' expects <value> as argument.")?;
                if let Some(b) = a.bytes().find(|&b| b == b';' || b.is_ascii_control()) {
                    return Err(format!(
                        "character '%x{b:02X}' is not permitted in attribute value."
                    ));
                }
                c.attrs.push(a.to_string());
            }
            "maxidle" | "maxlife" | "dynamic" => {
                return Err(format!(
                    "'cookie ... {w}' is not supported by lbtop (it has no dated or dynamic \
                     cookies)"
                ))
            }
            _ => {
                return Err(
                    "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', \
                     'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and \
                     'attr' options."
                        .into(),
                )
            }
        }
    }
    c.mode = mode.ok_or(
        "'cookie' without 'insert', 'rewrite' or 'prefix' (HAProxy's passive mode) is not \
         supported by lbtop",
    )?;
    if c.mode == CookieMode::Rewrite && c.indirect {
        return Err("cookie 'rewrite' and 'indirect' modes are incompatible.".into());
    }
    if c.preserve && c.mode != CookieMode::Insert && !c.indirect {
        return Err("cookie 'preserve' requires at least 'insert' or 'indirect'.".into());
    }
    Ok((c, warnings))
}
