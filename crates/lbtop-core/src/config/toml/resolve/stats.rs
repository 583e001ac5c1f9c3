//! A frontend's `stats = { ... }`: its stats page, as HAProxy's `stats` keywords give it.

use super::super::raw::RawStats;
use super::{Res, Resolver};
use crate::config::{Mode, StatsPage};
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn stats(
        &self,
        raw: Option<&Spanned<RawStats>>,
        mode: Mode,
        who: &str,
    ) -> Res<Option<StatsPage>> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        if mode != Mode::Http {
            return Err(self.at(raw, format!("{who}: 'stats' needs mode \"http\"")));
        }
        let s = raw.get_ref();
        let mut page = StatsPage::new(self.line(raw.span().start));
        if let Some(uri) = &s.uri {
            if uri.get_ref().is_empty() {
                return Err(self.at(uri, format!("{who}: stats 'uri' must not be empty")));
            }
            page.uri = uri.get_ref().clone();
        }
        if let Some(realm) = &s.realm {
            if realm.get_ref().is_empty() {
                return Err(self.at(realm, format!("{who}: stats 'realm' must not be empty")));
            }
            page.realm = Some(realm.get_ref().clone());
        }
        for account in &s.auth {
            let Some((user, pass)) = account.get_ref().split_once(':') else {
                return Err(self.at(
                    account,
                    format!(
                        "{who}: stats 'auth' expects \"user:password\", got '{}'",
                        account.get_ref()
                    ),
                ));
            };
            page.auth.push((user.to_string(), pass.to_string()));
        }
        if let Some(r) = &s.refresh {
            let d = self.duration(r, &format!("{who}: stats 'refresh'"))?;
            page.refresh = (!d.is_zero()).then_some(d);
        }
        page.hide_version = s.hide_version;
        Ok(Some(page))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, StatsPage};
    use std::path::Path;
    use std::time::Duration;

    fn parse(stats: &str, mode: &str) -> Result<Config, crate::config::ConfigError> {
        let text = format!(
            "[[frontend]]\nname = \"f\"\nbind = \"127.0.0.1:80\"\nmode = \"{mode}\"\n\
             default_backend = \"b\"\nstats = {stats}\n\n[[backend]]\nname = \"b\"\nmode = \"{mode}\"\n"
        );
        Config::parse(Path::new("t.toml"), &text)
    }

    #[test]
    fn a_frontend_stats_table_is_the_page() {
        let c = parse(
            r#"{ uri = "/s", realm = "R", auth = ["a:b", "c:d:e"], refresh = "10s", hide-version = true }"#,
            "http",
        )
        .unwrap();
        let p = c.frontends[0].stats.clone().unwrap();
        assert_eq!((p.uri.as_str(), p.realm()), ("/s", "R"));
        assert_eq!(p.auth[1], ("c".to_string(), "d:e".to_string()));
        assert_eq!(p.refresh, Some(Duration::from_secs(10)));
        assert!(p.hide_version);
        assert_eq!(p.line, 6);
        let plain = parse("{}", "http").unwrap().frontends[0].stats.clone();
        assert_eq!(
            plain.map(|p| p.uri),
            Some(StatsPage::DEFAULT_URI.to_string())
        );
        // And it exports as HAProxy's keywords, which read back the same.
        let back = Config::parse(Path::new("x.cfg"), &c.to_haproxy_cfg()).unwrap();
        assert_eq!(
            back.frontends[0].stats.as_ref().map(|p| &p.auth),
            Some(&p.auth)
        );
    }

    #[test]
    fn mistakes_name_the_line() {
        for (stats, mode, want) in [
            (
                "{ auth = [\"ab\"] }",
                "http",
                "stats 'auth' expects \"user:password\"",
            ),
            ("{ uri = \"\" }", "http", "stats 'uri' must not be empty"),
            ("{ refresh = \"1x\" }", "http", "stats 'refresh'"),
            ("{ admin = true }", "http", "unknown key 'admin'"),
            ("{}", "tcp", "'stats' needs mode \"http\""),
        ] {
            let e = parse(stats, mode).expect_err(stats);
            assert_eq!(e.line, 6, "{e}");
            assert!(e.message.contains(want), "{e}");
        }
    }
}
