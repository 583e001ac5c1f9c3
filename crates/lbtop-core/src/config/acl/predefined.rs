//! HAProxy 2.6's predefined ACLs, each the `acl` line HAProxy defines it as; those lbtop
//! cannot evaluate honestly are refused by name.

use super::parse::{parse_acl_words, LoadCtx};
use super::Acl;
use std::sync::Arc;

/// Name, and the expression it stands for (`None`: refused, with why).
pub static PREDEFINED: &[(&str, Result<&str, &str>)] = &[
    ("FALSE", Ok("always_false")),
    ("HTTP", Ok("req.proto_http")),
    ("HTTP_1.0", Ok("req.ver 1.0")),
    ("HTTP_1.1", Ok("req.ver 1.1")),
    ("HTTP_CONTENT", Ok("req.hdr_val(content-length) gt 0")),
    ("HTTP_URL_ABS", Ok("url_reg ^[^/:]*://")),
    ("HTTP_URL_SLASH", Ok("url_beg /")),
    ("HTTP_URL_STAR", Ok("url *")),
    ("LOCALHOST", Ok("src 127.0.0.1/8 ::1")),
    ("METH_CONNECT", Ok("method CONNECT")),
    ("METH_DELETE", Ok("method DELETE")),
    ("METH_GET", Ok("method GET HEAD")),
    ("METH_HEAD", Ok("method HEAD")),
    ("METH_OPTIONS", Ok("method OPTIONS")),
    ("METH_POST", Ok("method POST")),
    ("METH_PUT", Ok("method PUT")),
    ("METH_TRACE", Ok("method TRACE")),
    (
        "RDP_COOKIE",
        Err("it reads an RDP cookie in TCP mode, which lbtop does not inspect"),
    ),
    ("REQ_CONTENT", Ok("req.len gt 0")),
    ("TRUE", Ok("always_true")),
    (
        "WAIT_END",
        Err("it reads 'wait_end', which lbtop does not have"),
    ),
];

/// The predefined ACL `name`: `None` if there is none, an error if lbtop refuses it.
pub fn predefined(name: &str) -> Option<Result<Arc<Acl>, String>> {
    let (_, def) = PREDEFINED.iter().find(|(n, _)| *n == name)?;
    Some(match def {
        Ok(text) => {
            let words: Vec<String> = text.split(' ').map(str::to_string).collect();
            let no_backends = |_: &str| {};
            let ctx = LoadCtx {
                backend_of: &no_backends,
                userlist_of: &no_backends,
                response: false,
                env: &|_| None,
            };
            parse_acl_words(&words, &ctx).map(|e| {
                Arc::new(Acl {
                    name: name.to_string(),
                    exprs: vec![e],
                })
            })
        }
        Err(why) => Err(format!(
            "predefined ACL '{name}' is not supported by lbtop: {why}"
        )),
    })
}
