//! `lbtop export` for a proxy's rules: its `acl` lines, `http-request` rules, `redirect`
//! lines, `use_backend` and `use-server` rules, each written back as it was read (the
//! compiled forms keep their words), in HAProxy's order of evaluation.

use super::super::{BackendTarget, ProxyRules};
use super::{quote_word, IN};
use std::fmt::Write as _;

/// `words` quoted for HAProxy's tokenizer, space-separated.
pub(super) fn words(w: &[String]) -> String {
    w.iter()
        .map(|x| quote_word(x))
        .collect::<Vec<_>>()
        .join(" ")
}

fn with_cond(out: &mut String, kw: &str, action: &[String], cond: Option<&[String]>) {
    let mut line = format!("{IN}{kw}");
    for part in [Some(action), cond].into_iter().flatten() {
        if !part.is_empty() {
            line.push(' ');
            line.push_str(&words(part));
        }
    }
    let _ = writeln!(out, "{line}");
}

/// Every rule line of one side of a proxy.
pub(super) fn rule_lines(out: &mut String, r: &ProxyRules) {
    for a in &r.acls {
        let _ = writeln!(out, "{IN}acl {} {}", quote_word(&a.name), words(&a.words));
    }
    if let Some(d) = &r.tcp.inspect_delay_words {
        let _ = writeln!(out, "{IN}tcp-request inspect-delay {}", quote_word(d));
    }
    for (kw, list) in [
        ("tcp-request connection", &r.tcp.connection),
        ("tcp-request content", &r.tcp.content),
    ] {
        for t in list {
            let cond = t.cond.as_ref().map(|c| &c.words[..]);
            with_cond(out, kw, &t.action.words(), cond);
        }
    }
    for h in &r.http_request {
        let cond = h.cond.as_ref().map(|c| &c.words[..]);
        with_cond(out, "http-request", &h.words, cond);
    }
    for h in &r.redirects {
        let cond = h.cond.as_ref().map(|c| &c.words[..]);
        with_cond(out, "redirect", &h.words, cond);
    }
    for h in &r.http_response {
        let cond = h.cond.as_ref().map(|c| &c.words[..]);
        with_cond(out, "http-response", &h.words, cond);
    }
    for u in &r.use_backends {
        let target = match &u.target {
            BackendTarget::Named(_, name) => name.clone(),
            BackendTarget::Dynamic(f) => f.text.clone(),
        };
        let cond = u.cond.as_ref().map(|c| &c.words[..]);
        with_cond(out, "use_backend", &[target], cond);
    }
    for u in &r.use_servers {
        let cond = u.cond.as_ref().map(|c| &c.words[..]);
        with_cond(out, "use-server", std::slice::from_ref(&u.name), cond);
    }
}

/// `[global] metrics = "addr"` (TOML): HAProxy's exporter on a frontend of its own, named
/// so as not to clash with the configuration's.
pub(super) fn metrics_frontend(out: &mut String, addr: std::net::SocketAddr, taken: &[&str]) {
    let mut name = "lbtop-metrics".to_string();
    while taken.contains(&name.as_str()) {
        name.push('_');
    }
    let _ = writeln!(out, "# [global] metrics = \"{addr}\"");
    let _ = writeln!(out, "frontend {name}");
    let _ = writeln!(out, "{IN}mode http");
    let _ = writeln!(out, "{IN}bind {addr}");
    let _ = writeln!(out, "{IN}timeout client 5s");
    let _ = writeln!(
        out,
        "{IN}http-request use-service prometheus-exporter if {{ path /metrics }}"
    );
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ProxyRules};
    use std::path::Path;

    fn without_lines(mut r: ProxyRules) -> ProxyRules {
        r.acls.iter_mut().for_each(|a| a.line = 0);
        r.http_request.iter_mut().for_each(|h| h.line = 0);
        r.redirects.iter_mut().for_each(|h| h.line = 0);
        r.http_response.iter_mut().for_each(|h| h.line = 0);
        r.use_backends.iter_mut().for_each(|u| u.line = 0);
        r.use_servers.iter_mut().for_each(|u| u.line = 0);
        r.tcp.connection.iter_mut().for_each(|t| t.line = 0);
        r.tcp.content.iter_mut().for_each(|t| t.line = 0);
        r
    }

    fn rules(c: &Config) -> Vec<ProxyRules> {
        let fe = c.frontends.iter().map(|f| f.rules.clone());
        let be = c.backends.iter().map(|b| b.rules.clone());
        fe.chain(be).map(without_lines).collect()
    }

    #[test]
    fn rules_round_trip() {
        let dir = std::env::temp_dir().join(format!("lbtop-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let map = dir.join("hosts.map");
        std::fs::write(&map, "a.example app\n").unwrap();
        let text = format!(
            "frontend fe\n    mode http\n    bind 127.0.0.1:8080\n    timeout tarpit 2s\n\
             \x20   acl api path_beg -i /api /v2\n    acl api hdr(host) -m reg ^api\\.\n\
             \x20   acl local src 127.0.0.0/8 ::1\n\
             \x20   http-request deny deny_status 429 if {{ path /x }} !local\n\
             \x20   http-request tarpit if {{ path_end .php }}\n    http-request allow if local\n\
             \x20   http-request redirect scheme https code 301 unless {{ ssl_fc }}\n\
             \x20   http-request return status 200 content-type \"text/plain\" string \"hi there\" if {{ path /ping }}\n\
             \x20   http-request return status 200 content-type text/plain lf-string \"p=%[path]\" if {{ path /lf }}\n\
             \x20   http-request use-service prometheus-exporter if {{ path /metrics }}\n\
             \x20   redirect prefix /new drop-query append-slash set-cookie A=1 if {{ path_beg /old }} or METH_POST\n\
             \x20   use_backend api if api\n\
             \x20   use_backend %[req.hdr(host),lower,map({})]\n    default_backend app\n\
             backend app\n    mode http\n    use-server s2 if {{ path /s2 }}\n\
             \x20   server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n\
             backend api\n    mode http\n    http-request deny if {{ nbsrv(app) lt 1 }}\n\
             \x20   server s3 127.0.0.1:3\n",
            map.display()
        );
        let c = Config::parse(Path::new("r.cfg"), &text).unwrap();
        assert_eq!(c.frontends[0].rules.http_request.len(), 7);
        let out = c.to_haproxy_cfg();
        let back = Config::parse(Path::new("export.cfg"), &out)
            .unwrap_or_else(|e| panic!("{e}\n---\n{out}"));
        assert_eq!(rules(&c), rules(&back), "\n---\n{out}");
        assert!(out.contains("    acl api path_beg -i /api /v2\n"), "{out}");
        assert!(out.contains("    timeout tarpit 2s\n"), "{out}");
        assert!(
            out.contains("    http-request deny deny_status 429 if { path /x } !local\n"),
            "{out}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rewrite_rules_round_trip() {
        let text = "userlist L\n    user a insecure-password b\n\
             frontend fe\n    mode http\n    bind 127.0.0.1:8080\n\
             \x20   http-request set-header X-Forwarded-Proto https if { ssl_fc }\n\
             \x20   http-request add-header X-Host \"%[req.hdr(host)] x\"\n\
             \x20   http-request del-header X-Debug\n\
             \x20   http-request del-header x-beg- -m beg\n\
             \x20   http-request replace-header Cookie (.*)SID=[^;]*(.*) \\1\\2\n\
             \x20   http-request replace-value X-V ^a$ z\n\
             \x20   http-request set-path /p%[path]\n\
             \x20   http-request replace-path ^/api(/.*) \\1\n\
             \x20   http-request set-query a=%[query]\n\
             \x20   http-request set-uri /u?v if { path /u }\n\
             \x20   http-request set-method POST if { path /m }\n\
             \x20   http-request set-var(txn.t) req.hdr(host),field(1,.),lower\n\
             \x20   http-request unset-var(txn.t) if { var(txn.t) -m str x }\n\
             \x20   http-request auth realm \"My Realm\" unless { http_auth(L) }\n\
             \x20   http-response set-header Strict-Transport-Security \"max-age=31536000; includeSubDomains\"\n\
             \x20   http-response del-header Server\n\
             \x20   http-response replace-value X-Multi ^b$ c\n\
             \x20   http-response set-status 503 if { status 500 }\n\
             \x20   http-response set-status 202 reason \"Fine Thanks\" if { res.hdr(x-a) -m found }\n\
             \x20   default_backend app\n\
             backend app\n    mode http\n    http-response add-header X-Be %[status]\n\
             \x20   server s1 127.0.0.1:1\n";
        let c = Config::parse(Path::new("r.cfg"), text).unwrap();
        assert_eq!(c.frontends[0].rules.http_request.len(), 14);
        assert_eq!(c.frontends[0].rules.http_response.len(), 5);
        let out = c.to_haproxy_cfg();
        let back = Config::parse(Path::new("export.cfg"), &out)
            .unwrap_or_else(|e| panic!("{e}\n---\n{out}"));
        assert_eq!(rules(&c), rules(&back), "\n---\n{out}");
        assert!(
            out.contains("    http-response set-status 202 reason \"Fine Thanks\" if"),
            "{out}"
        );
    }

    #[test]
    fn tcp_request_rules_round_trip() {
        let text = "frontend fe\n    mode tcp\n    bind 127.0.0.1:8443\n\
             \x20   acl bad src 10.0.0.0/8\n\
             \x20   tcp-request connection reject if bad\n\
             \x20   tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }\n\
             \x20   tcp-request connection accept\n\
             \x20   tcp-request inspect-delay 5s\n\
             \x20   tcp-request content accept if { req_ssl_hello_type 1 }\n\
             \x20   tcp-request content reject unless { req.len gt 0 }\n\
             \x20   use_backend b if { req.ssl_sni -m end .example.com }\n\
             \x20   default_backend app\n\
             backend app\n    mode tcp\n    server s1 127.0.0.1:1\n\
             backend b\n    mode tcp\n    server s2 127.0.0.1:2\n";
        let c = Config::parse(Path::new("t.cfg"), text).unwrap();
        let tcp = &c.frontends[0].rules.tcp;
        assert_eq!((tcp.connection.len(), tcp.content.len()), (3, 2));
        assert_eq!(tcp.inspect_delay, Some(std::time::Duration::from_secs(5)));
        let out = c.to_haproxy_cfg();
        let back = Config::parse(Path::new("export.cfg"), &out)
            .unwrap_or_else(|e| panic!("{e}\n---\n{out}"));
        assert_eq!(rules(&c), rules(&back), "\n---\n{out}");
        assert!(out.contains("    tcp-request inspect-delay 5s\n"), "{out}");
        assert!(
            out.contains("    tcp-request content accept if { req_ssl_hello_type 1 }\n"),
            "{out}"
        );
    }
}
