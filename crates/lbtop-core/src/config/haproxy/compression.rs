//! `compression algo <algo>...`, `compression type <type>...`, `compression offload`, with
//! HAProxy 2.6's messages (measured with `haproxy -c`).

use super::sections::{Ctx, Kind, Settings};
use super::table::Stmt;
use super::{Parser, Res};
use crate::config::{Algo, Compression};

pub(super) fn compression(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let words = st.args.get(1..).unwrap_or_default();
    let c = s
        .options
        .compression
        .get_or_insert_with(Compression::default);
    match st.arg() {
        "algo" if words.is_empty() => {
            Err(p.err_in(st.no, ctx, "'compression' expects <algorithm>."))
        }
        "algo" => {
            for w in words {
                let Some(a) = Algo::parse(w) else {
                    let m = format!("'compression' : '{w}' is not a supported algorithm.");
                    return Err(p.err_in(st.no, ctx, m));
                };
                c.algos.push(a);
            }
            Ok(())
        }
        "type" if words.is_empty() => Err(p.err_in(st.no, ctx, "'compression' expects <type>.")),
        "type" => {
            c.types.extend(words.iter().cloned());
            Ok(())
        }
        "offload" if ctx.kind == Kind::Defaults => {
            p.warn(
                st.no,
                "'compression' : 'offload' ignored in 'defaults' section.",
            );
            Ok(())
        }
        "offload" => {
            c.offload = true;
            Ok(())
        }
        _ => Err(p.err_in(
            st.no,
            ctx,
            "'compression' expects 'algo', 'type' or 'offload'",
        )),
    }
}
