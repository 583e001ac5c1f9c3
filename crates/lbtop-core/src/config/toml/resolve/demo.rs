//! `[demo]`: the bundled web servers and the traffic generator.

use super::super::messages::did_you_mean;
use super::super::raw::RawDemo;
use super::{Res, Resolver};
use crate::config::{Demo, DemoServer, DemoTraffic, Frontend};
use std::collections::HashMap;
use std::path::Path;

impl Resolver<'_> {
    pub(super) fn demo(&self, raw: RawDemo, frontends: &[Frontend]) -> Res<Demo> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        let mut servers = Vec::with_capacity(raw.server.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in &raw.server {
            let s = s.get_ref();
            self.name(&s.name, "demo server")?;
            let who = format!("demo server '{}'", s.name.get_ref());
            let bind = self.addr(&s.bind, &format!("{who}: 'bind'"), true)?;
            if s.root.get_ref().trim().is_empty() {
                return Err(self.at(&s.root, format!("{who}: 'root' must not be empty")));
            }
            self.unique(&mut seen, &s.name, "demo server")?;
            servers.push(DemoServer {
                name: s.name.get_ref().clone(),
                bind,
                root: base.join(s.root.get_ref()),
            });
        }

        let mut traffic = DemoTraffic {
            frontends: (0..frontends.len()).collect(),
            rate: 5,
            start: false,
        };
        if let Some(t) = raw.traffic {
            if let Some(list) = &t.frontends {
                let names: Vec<&str> = frontends.iter().map(|f| f.name.as_str()).collect();
                traffic.frontends.clear();
                for name in list {
                    let n = name.get_ref();
                    let Some(i) = names.iter().position(|f| f == n) else {
                        return Err(self.at(
                            name,
                            format!(
                                "demo traffic: 'frontends' names unknown frontend '{n}'{}",
                                did_you_mean(n, &names)
                            ),
                        ));
                    };
                    if traffic.frontends.contains(&i) {
                        return Err(
                            self.at(name, format!("demo traffic: 'frontends' lists '{n}' twice"))
                        );
                    }
                    traffic.frontends.push(i);
                }
            }
            let max = u32::MAX.into();
            if let Some(rate) = self.opt_int(&t.rate, "demo traffic: 'rate'", 1, max)? {
                traffic.rate = rate;
            }
            traffic.start = t.start.unwrap_or(false);
        }
        Ok(Demo { servers, traffic })
    }
}
