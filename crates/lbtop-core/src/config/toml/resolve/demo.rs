//! `[demo]`: the bundled web servers and the traffic generator.

use super::super::messages::did_you_mean;
use super::super::raw::{RawDemo, RawDemoServer, RawTraffic};
use super::{Res, Resolver};
use crate::config::{Demo, DemoServer, DemoTraffic, Frontend};
use std::collections::HashMap;
use std::path::Path;
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn demo(&self, raw: RawDemo, frontends: &[Frontend]) -> Res<Demo> {
        let servers = self.demo_servers(&raw.server)?;
        let traffic = self.demo_traffic(raw.traffic, frontends)?;
        Ok(Demo { servers, traffic })
    }

    /// `[[demo.server]]`: each root relative to the config file's folder.
    fn demo_servers(&self, raw: &[Spanned<RawDemoServer>]) -> Res<Vec<DemoServer>> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        let mut servers = Vec::with_capacity(raw.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in raw {
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
        Ok(servers)
    }

    /// `[demo.traffic]`; without one, every frontend at 5 requests a second, not started.
    fn demo_traffic(&self, raw: Option<RawTraffic>, frontends: &[Frontend]) -> Res<DemoTraffic> {
        let mut traffic = DemoTraffic {
            frontends: (0..frontends.len()).collect(),
            rate: 5,
            start: false,
        };
        if let Some(t) = raw {
            if let Some(list) = &t.frontends {
                traffic.frontends = self.traffic_frontends(list, frontends)?;
            }
            let max = u32::MAX.into();
            if let Some(rate) = self.opt_int(&t.rate, "demo traffic: 'rate'", 1, max)? {
                traffic.rate = rate;
            }
            traffic.start = t.start.unwrap_or(false);
        }
        Ok(traffic)
    }

    /// `frontends = [...]` of `[demo.traffic]`: the indices of the named frontends.
    fn traffic_frontends(
        &self,
        list: &[Spanned<String>],
        frontends: &[Frontend],
    ) -> Res<Vec<usize>> {
        let names: Vec<&str> = frontends.iter().map(|f| f.name.as_str()).collect();
        let mut picked = Vec::new();
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
            if picked.contains(&i) {
                return Err(self.at(name, format!("demo traffic: 'frontends' lists '{n}' twice")));
            }
            picked.push(i);
        }
        Ok(picked)
    }
}
