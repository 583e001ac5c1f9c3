use super::*;
use crate::attach::build::{snapshot, Info};
use crate::attach::table::parse_stat;

/// A node answering `show stat` with `text`.
fn node(name: &str, text: &str) -> NodeData {
    let info = Info {
        uptime: Duration::from_secs(10),
        maxconn: 100,
        ..Info::default()
    };
    NodeData {
        summary: NodeSummary {
            name: name.into(),
            target: format!("/tmp/{name}.sock"),
            info: Some(info.clone()),
            error: None,
        },
        snap: Some(snapshot(&info, &parse_stat(text).unwrap())),
        states: HashMap::new(),
    }
}

const H1: &str = "# pxname,svname,status,weight,stot,hrsp_2xx\n\
                  fe,FRONTEND,OPEN,,5,5\n\
                  hoge,web10,UP,1,3,3\n\
                  hoge,web11,UP,1,2,2\n\
                  hoge,BACKEND,UP,2,5,5\n";
// The same proxies with columns in another order, web11 drained, and a server only here.
const H2: &str = "# stot,weight,svname,pxname,status,extra\n\
                  7,,FRONTEND,fe,OPEN,x\n\
                  4,1,web10,hoge,UP,x\n\
                  0,1,web11,hoge,DRAIN,x\n\
                  3,1,web12,hoge,DOWN,x\n\
                  7,3,BACKEND,hoge,UP,x\n";

fn web(n: usize) -> ServerId {
    ServerId {
        backend: 0,
        server: n,
    }
}

#[test]
fn rows_per_server_across_nodes_with_the_worst_status() {
    let (snap, fleet) = merge(&[node("h1", H1), node("h2", H2)]);
    assert_eq!(snap.frontends.len(), 1);
    assert_eq!(snap.frontends[0].total_conns, 12);
    assert_eq!(snap.maxconn, 200);
    let hoge = &snap.backends[0];
    let names: Vec<&str> = hoge.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web10", "web11", "web12"]);
    assert_eq!(hoge.total_sessions, 12);
    assert_eq!(hoge.servers[0].total_sessions, 7);
    assert_eq!(hoge.servers[0].status, ServerStatus::Up);
    assert_eq!(hoge.servers[1].status, ServerStatus::Drain);
    assert_eq!(fleet.breakdown(web(0)), "UP on 2/2: h1,h2");
    assert_eq!(fleet.breakdown(web(1)), "UP on 1/2: h1 · DRAIN on 1/2: h2");
    assert_eq!(fleet.breakdown(web(2)), "DOWN on 1/2: h2 · absent: h1");
}

#[test]
fn a_dead_node_keeps_its_counts_but_not_its_say_on_status() {
    let mut dead = node("h2", H2);
    dead.summary.error = Some("connection refused".into());
    let (snap, fleet) = merge(&[node("h1", H1), dead]);
    let hoge = &snap.backends[0];
    assert_eq!(
        hoge.servers[1].status,
        ServerStatus::Up,
        "h2's DRAIN is old news"
    );
    assert_eq!(hoge.servers[0].total_sessions, 7, "its counts stay");
    assert_eq!(snap.maxconn, 100, "only answering nodes' limits");
    assert_eq!(fleet.breakdown(web(1)), "UP on 1/2: h1 · dead: h2");
    // A server only the dead node lists keeps its last known status.
    assert_eq!(hoge.servers[2].status, ServerStatus::Down);
}

#[test]
fn a_node_never_polled_adds_nothing() {
    let mut fresh = node("h2", H2);
    fresh.snap = None;
    fresh.summary.info = None;
    let (snap, fleet) = merge(&[node("h1", H1), fresh]);
    assert_eq!(snap.backends[0].servers.len(), 2);
    assert_eq!(fleet.breakdown(web(0)), "UP on 1/2: h1 · dead: h2");
}
