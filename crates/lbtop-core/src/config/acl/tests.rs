use super::*;
use std::collections::HashMap;

fn env_with(nbsrv: &dyn Fn(Option<&str>) -> u32) -> Env<'_> {
    Env {
        fe_id: 1,
        be_id: 1,
        nbsrv,
        users: None,
        vars: None,
        payload: None,
        at_accept: false,
    }
}

fn w(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn ctx() -> LoadCtx<'static> {
    LoadCtx {
        backend_of: &|_: &str| {},
        userlist_of: &|_: &str| {},
        response: false,
        env: &|_| None,
    }
}

/// Evaluates `cond` (with named ACLs `acls`, `name words...`) on `head` from 10.1.2.3.
fn check(acls: &[&str], cond: &str, head: &str) -> Result<bool, String> {
    let mut defined: HashMap<String, Arc<Acl>> = HashMap::new();
    for line in acls {
        let words = w(line);
        let e = parse_acl_line(&words[1..], &ctx())?;
        let acl = defined.entry(words[0].clone()).or_insert_with(|| {
            Arc::new(Acl {
                name: words[0].clone(),
                exprs: vec![],
            })
        });
        Arc::make_mut(acl).exprs.push(e);
    }
    let lookup = |n: &str| defined.get(n).cloned();
    let c = parse_cond(&w(cond), &lookup, &ctx())?;
    let mut h = [httparse::EMPTY_HEADER; 32];
    let src = "10.1.2.3:4567".parse().unwrap();
    let dst = "127.0.0.1:8080".parse().unwrap();
    let v = ReqView::parse(head.as_bytes(), &mut h, src, dst).unwrap();
    let nb = |b: Option<&str>| if b == Some("app") { 2 } else { 0 };
    Ok(c.eval(&v, &env_with(&nb)))
}

const GET: &str = "GET /api/v1/Users?id=7&x=a%20b HTTP/1.1\r\nHost: WWW.Example.com:80\r\n\
                   X-A: one, two\r\nX-A: three\r\nCookie: s=abc; t=1\r\n\
                   Content-Length: 0\r\n\r\n";

fn yes(acls: &[&str], cond: &str) {
    assert_eq!(check(acls, cond, GET), Ok(true), "{acls:?} {cond}");
}

fn no(acls: &[&str], cond: &str) {
    assert_eq!(check(acls, cond, GET), Ok(false), "{acls:?} {cond}");
}

#[test]
fn path_matchers() {
    yes(&["a path /api/v1/Users"], "if a");
    no(&["a path /api/v1/users"], "if a");
    yes(&["a path -i /api/v1/users"], "if a");
    yes(&["a path_beg /api /static"], "if a");
    no(&["a path_beg /static"], "if a");
    yes(&["a path_end Users"], "if a");
    yes(&["a path_sub v1"], "if a");
    yes(&["a path_reg ^/api/v[0-9]+/"], "if a");
    yes(&["a path_dir v1"], "if a");
    no(&["a path_dir v"], "if a");
    yes(&["a path_len 13"], "if a");
    yes(&["a path_len gt 5"], "if a");
    yes(&["a path -m beg /api"], "if a");
    yes(&["a path -m found"], "if a");
}

#[test]
fn url_query_params_and_cookies() {
    yes(&["a url_beg /api/v1/Users?"], "if a");
    yes(&["a query -m sub id=7"], "if a");
    yes(&["a url_param(id) 7"], "if a");
    yes(&["a urlp(x) a%20b"], "if a");
    no(&["a url_param(zz) -m found"], "if a");
    yes(&["a cook(s) abc"], "if a");
    yes(&["a req.cook(t) 1"], "if a");
    yes(&["a base -i www.example.com:80/api/v1/Users"], "if a");
}

#[test]
fn headers() {
    yes(&["a hdr(host) -i www.example.com:80"], "if a");
    yes(&["a hdr_dom(host) -i example"], "if a");
    yes(&["a hdr_beg(host) -i www."], "if a");
    yes(&["a hdr_end(host) :80"], "if a");
    yes(&["a hdr_reg(host) -i ^www\\."], "if a");
    // `hdr` splits at commas, `fhdr` does not; every occurrence counts in an ACL.
    yes(&["a hdr(x-a) two"], "if a");
    yes(&["a hdr(x-a) three"], "if a");
    no(&["a fhdr(x-a) two"], "if a");
    yes(
        &["a req.fhdr(x-a) one,\\ two", "b req.fhdr(x-a) three"],
        "if b",
    );
    yes(&["a hdr_cnt(x-a) 3"], "if a");
    yes(&["a req.fhdr_cnt(x-a) 2"], "if a");
    yes(&["a hdr(x-a,1) one"], "if a");
    no(&["a hdr(x-a,1) two"], "if a");
    yes(&["a hdr(x-a,-1) three"], "if a");
    yes(&["a hdr_val(content-length) eq 0"], "if a");
    yes(&["a hdr_cnt(nope) 0"], "if a");
    no(&["a hdr(nope) -m found"], "if a");
    yes(&["a hdr(host),lower -m beg www.example"], "if a");
    yes(&["a hdr(host),field(1,:),lower www.example.com"], "if a");
}

#[test]
fn addresses_and_ints() {
    yes(&["a src 10.0.0.0/8"], "if a");
    yes(&["a src 10.1.2.3"], "if a");
    no(&["a src 192.168.0.0/16 ::1"], "if a");
    yes(&["a src 10.0.0.0/255.0.0.0"], "if a");
    yes(&["a src_port 4000:5000"], "if a");
    yes(&["a dst_port 8080"], "if a");
    yes(&["a dst 127.0.0.1"], "if a");
    yes(&["a dst_port :8080"], "if a");
    no(&["a dst_port 8081:"], "if a");
    yes(&["a nbsrv(app) ge 2"], "if a");
    yes(&["a method GET"], "if a");
}

#[test]
fn conditions() {
    yes(&["a path /x", "b method GET"], "if a || b");
    yes(&["a path /x", "b method GET"], "if a or b");
    no(&["a path /x", "b method GET"], "if a b");
    yes(&["a path /x", "b method GET"], "if !a b");
    yes(&["a path /x", "b method GET"], "if ! a b");
    yes(&["a path /x"], "unless a");
    no(&["a path /x"], "if !!a");
    // Lines with the same name are ORed.
    yes(&["a path /x", "a path_beg /api"], "if a");
    yes(&[], "if { path_beg /api } METH_GET");
    no(&[], "if !{ path_beg /api }");
    yes(&[], "if { ssl_fc } or TRUE");
    no(&[], "if { ssl_fc }");
    yes(&[], "if HTTP HTTP_1.1 HTTP_URL_SLASH");
    no(&[], "if HTTP_1.0 || HTTP_CONTENT || LOCALHOST || FALSE");
    yes(&[], "if !LOCALHOST METH_GET");
}

#[test]
fn load_errors() {
    let err = |acls: &[&str], cond: &str| check(acls, cond, GET).unwrap_err();
    assert_eq!(err(&[], "if nope"), "no such ACL : 'nope'");
    assert!(err(&["a path_reg ("], "if a").starts_with("regex '(' is invalid"));
    assert!(err(&["a src foo.invalid"], "if a").contains("not a valid IPv4 or IPv6"));
    assert!(err(&["a path -f /nonexistent/x"], "if a").contains("failed to open pattern file"));
    assert!(err(&["a path -m nope x"], "if a").contains("unknown matching method 'nope'"));
    assert!(err(&["a nosuchfetch x"], "if a").contains("unknown fetch method 'nosuchfetch'"));
    assert!(err(&["a req.ssl_ver x"], "if a").contains("'req.ssl_ver'"));
    assert!(err(&["a http_auth"], "if a").contains("missing userlist name"));
    assert!(err(&[], "if WAIT_END").contains("WAIT_END"));
    assert!(err(&[], "if { path x").contains("missing closing '}'"));
    assert!(err(&["a path(/x"], "if a").contains("missing closing ')'"));
    assert!(err(&["a hdr() x"], "if a").contains("missing header name"));
    assert!(err(&["a dst_port abc"], "if a").contains("not a number"));
    assert!(err(&["a path x"], "if a or").contains("each side"));
    assert!(err(&["a path,nope x"], "if a").contains("unknown converter"));
}

#[test]
fn hostile_patterns() {
    // Empty patterns, huge patterns and odd bytes load and never panic.
    no(&["a path"], "if a");
    yes(&["a path_beg -- -x /"], "if a");
    let huge = "a".repeat(100_000);
    no(&[&format!("a path {huge}")], "if a");
    no(&[&format!("a path_sub {huge}")], "if a");
    no(&[&format!("a path_dom {huge}")], "if a");
    // A regex too big for the size limit is a load error, not a slow request.
    let big = format!("a path_reg {}", "(a|b){1000}".repeat(50));
    assert!(check(&[&big], "if a", GET).is_err());
    let odd = "GET /\u{00ff}?%00 HTTP/1.1\r\nHost: \u{00e9}\r\n\r\n";
    assert_eq!(check(&["a hdr(host) -m len 2"], "if a", odd), Ok(true));
    assert_eq!(check(&["a path_dom -i ."], "if a", odd), Ok(false));
}

#[test]
fn map_converter_and_sample() {
    let dir = std::env::temp_dir().join(format!("lbtop-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map = dir.join("hosts.map");
    std::fs::write(
        &map,
        "# hosts\nwww.example.com:80 app\n\napi.example.com api\n",
    )
    .unwrap();
    let pats = dir.join("paths.lst");
    std::fs::write(&pats, "# comment\n/api/v1/Users\n\n").unwrap();
    yes(&[&format!("a path -f {}", pats.display())], "if a");
    let s = parse_sample(
        &format!("req.hdr(host),lower,map({},fallback)", map.display()),
        &ctx(),
    )
    .unwrap();
    let mut h = [httparse::EMPTY_HEADER; 32];
    let a = "127.0.0.1:1".parse().unwrap();
    let v = ReqView::parse(GET.as_bytes(), &mut h, a, a).unwrap();
    let nb = |_: Option<&str>| 0;
    assert_eq!(s.eval(&v, &env_with(&nb)), Some(b"app".to_vec()));
    let s = parse_sample(&format!("path,map_beg({})", map.display()), &ctx()).unwrap();
    assert_eq!(s.eval(&v, &env_with(&nb)), None);
    let s = parse_sample("hdr(x-a)", &ctx()).unwrap();
    assert_eq!(s.eval(&v, &env_with(&nb)), Some(b"three".to_vec()));
    assert!(parse_sample("map(/nonexistent)", &ctx()).is_err());
    assert!(parse_sample("path,map(/nonexistent/x.map)", &ctx())
        .unwrap_err()
        .contains("failed to open map file"));
    std::fs::remove_dir_all(&dir).unwrap();
}
