//! `[demo]`: the bundled web servers and the traffic generator.

use super::super::messages::did_you_mean;
use super::super::raw::{RawDemo, RawDemoServer, RawTraffic};
use super::{Res, Resolver};
use crate::config::{Demo, DemoServer, DemoTraffic, Frontend};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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
            let root = self.demo_root(base, &s.root, &who)?;
            self.unique(&mut seen, &s.name, "demo server")?;
            servers.push(DemoServer {
                name: s.name.get_ref().clone(),
                bind,
                root,
            });
        }
        Ok(servers)
    }

    /// `root = "..."`: a folder that exists now, made absolute so the server finds it
    /// whatever the working directory. The server reads it at each request and has no
    /// built-in pages, so a wrong root would only show as 404s: it is refused here instead.
    fn demo_root(&self, base: &Path, raw: &Spanned<String>, who: &str) -> Res<PathBuf> {
        if raw.get_ref().trim().is_empty() {
            return Err(self.at(raw, format!("{who}: 'root' must not be empty")));
        }
        let joined = base.join(raw.get_ref());
        let root = std::path::absolute(&joined).unwrap_or(joined);
        match std::fs::metadata(&root) {
            Ok(m) if m.is_dir() => Ok(root),
            Ok(_) => Err(self.at(
                raw,
                format!("{who}: 'root' {} is not a folder", root.display()),
            )),
            Err(e) => Err(self.at(
                raw,
                format!("{who}: 'root' {}: {}", root.display(), plain_io(&e)),
            )),
        }
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

/// An I/O error as a sentence, without Rust's `(os error N)` suffix.
fn plain_io(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
