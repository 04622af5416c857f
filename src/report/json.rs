//! placeholder until the renderer lands
use super::Context;
pub fn render(_ctx: &Context<'_>) -> String {
    String::new()
}
