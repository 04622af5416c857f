//! The progress of a live scan on stderr (indicatif): subscriptions listed, scopes done of all, pages and
//! resources read, hosts done of all (Run Command). Shown only when asked for and stderr is a terminal
//! (`scan` passes `!--quiet` and `IsTerminal`); hidden, every call only counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// What has been counted so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub subscriptions: u64,
    pub scopes_done: u64,
    pub scopes_total: u64,
    pub pages: u64,
    pub resources: u64,
    pub hosts_done: u64,
    pub hosts_total: u64,
}

/// A progress display; `Sync`, so parallel collectors can share one.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    subscriptions: AtomicU64,
    done: AtomicU64,
    total: AtomicU64,
    pages: AtomicU64,
    resources: AtomicU64,
    hosts_done: AtomicU64,
    hosts_total: AtomicU64,
    /// The scope being read, shown first.
    current: Mutex<String>,
}

impl Progress {
    /// On stderr when `enabled` (indicatif also hides it when stderr is no terminal or `TERM=dumb`).
    pub fn new(enabled: bool) -> Self {
        if !enabled {
            return Self::with(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self::with(Some(bar))
    }

    /// Counts only; nothing is drawn.
    pub fn hidden() -> Self {
        Self::new(false)
    }

    /// Drawn on `term` at every change (tests read an `indicatif::InMemoryTerm`).
    pub fn to_term(term: impl TermLike + 'static) -> Self {
        let target = ProgressDrawTarget::term_like(Box::new(term));
        Self::with(Some(ProgressBar::with_draw_target(None, target)))
    }

    fn with(bar: Option<ProgressBar>) -> Self {
        if let Some(bar) = &bar {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
        }
        let progress = Self {
            bar,
            subscriptions: AtomicU64::new(0),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            resources: AtomicU64::new(0),
            hosts_done: AtomicU64::new(0),
            hosts_total: AtomicU64::new(0),
            current: Mutex::new(String::new()),
        };
        progress.draw();
        progress
    }

    pub fn is_hidden(&self) -> bool {
        self.bar.is_none()
    }

    /// `n` more subscriptions were listed (`--all-subscriptions`).
    pub fn subscriptions_listed(&self, n: usize) {
        self.subscriptions.fetch_add(n as u64, Ordering::Relaxed);
        self.draw();
    }

    /// `n` more scopes (subscriptions, batches, management groups) will be read.
    pub fn scopes(&self, n: usize) {
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        self.draw();
    }

    /// Reading `label` begins (a scope's path; shown without control characters).
    pub fn scope_started(&self, label: &str) {
        if let Ok(mut current) = self.current.lock() {
            *current = label.chars().filter(|c| !c.is_control()).take(120).collect();
        }
        self.draw();
    }

    /// A page of `rows` resources was read.
    pub fn page(&self, rows: usize) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.resources.fetch_add(rows as u64, Ordering::Relaxed);
        self.draw();
    }

    /// A scope is done, read or failed.
    pub fn scope_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut current) = self.current.lock() {
            current.clear();
        }
        self.draw();
    }

    /// The host evidence of `n` VMs will be collected (Run Command).
    pub fn hosts(&self, n: usize) {
        self.hosts_total.fetch_add(n as u64, Ordering::Relaxed);
        self.draw();
    }

    /// One VM's host evidence was collected, or could not be.
    pub fn host_done(&self) {
        self.hosts_done.fetch_add(1, Ordering::Relaxed);
        self.draw();
    }

    /// The last state stays on the terminal as one line (cleared when nothing was counted); nothing moves
    /// after this.
    pub fn finish(&self) {
        let Some(bar) = &self.bar else { return };
        let c = self.counts();
        if c.scopes_total == 0 && c.subscriptions == 0 {
            bar.finish_and_clear();
        } else {
            if let Ok(style) = ProgressStyle::with_template("{wide_msg}") {
                bar.set_style(style);
            }
            bar.finish_with_message(format!("live scan: {}", self.line()));
        }
    }

    pub fn counts(&self) -> Counts {
        Counts {
            subscriptions: self.subscriptions.load(Ordering::Relaxed),
            scopes_done: self.done.load(Ordering::Relaxed),
            scopes_total: self.total.load(Ordering::Relaxed),
            pages: self.pages.load(Ordering::Relaxed),
            resources: self.resources.load(Ordering::Relaxed),
            hosts_done: self.hosts_done.load(Ordering::Relaxed),
            hosts_total: self.hosts_total.load(Ordering::Relaxed),
        }
    }

    /// `subscriptions 3 · scopes 1/2 · pages 4 · resources 1,234 · hosts 2/5` (no subscriptions part before a
    /// listing, no hosts part without host evidence).
    fn line(&self) -> String {
        let c = self.counts();
        let mut parts = Vec::new();
        if c.subscriptions > 0 {
            parts.push(format!("subscriptions {}", thousands(c.subscriptions)));
        }
        parts.push(format!("scopes {}/{}", c.scopes_done, c.scopes_total));
        parts.push(format!("pages {}", thousands(c.pages)));
        parts.push(format!("resources {}", thousands(c.resources)));
        if c.hosts_total > 0 {
            parts.push(format!("hosts {}/{}", c.hosts_done, c.hosts_total));
        }
        parts.join(" · ")
    }

    fn draw(&self) {
        let Some(bar) = &self.bar else { return };
        let current = self.current.lock().map(|c| c.clone()).unwrap_or_default();
        let line = self.line();
        bar.set_message(if current.is_empty() {
            line
        } else {
            format!("{line} · {current}")
        });
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use indicatif::InMemoryTerm;

    use super::*;

    #[test]
    fn the_terminal_shows_the_counts_and_keeps_the_last_line() {
        let term = InMemoryTerm::new(4, 160);
        let progress = Progress::to_term(term.clone());
        progress.subscriptions_listed(2);
        progress.subscriptions_listed(1);
        progress.scopes(2);
        progress.scope_started("/subscriptions/\u{1b}[31mred");
        progress.page(1000);
        progress.page(234);
        let shown = term.contents();
        assert!(
            shown.contains("subscriptions 3 · scopes 0/2 · pages 2 · resources 1,234 · /subscriptions/[31mred"),
            "{shown}"
        );
        assert!(!shown.contains('\u{1b}'));
        progress.scope_done();
        progress.scope_started("/providers/Microsoft.Management/managementGroups/mg-rds");
        progress.scope_done();
        progress.finish();
        assert_eq!(
            term.contents().trim_end(),
            "live scan: subscriptions 3 · scopes 2/2 · pages 2 · resources 1,234"
        );
        assert_eq!(
            progress.counts(),
            Counts {
                subscriptions: 3,
                scopes_done: 2,
                scopes_total: 2,
                pages: 2,
                resources: 1234,
                hosts_done: 0,
                hosts_total: 0,
            }
        );
    }

    #[test]
    fn hosts_are_counted_once_there_are_any() {
        let term = InMemoryTerm::new(4, 160);
        let progress = Progress::to_term(term.clone());
        progress.scopes(1);
        progress.scope_done();
        progress.hosts(3);
        progress.host_done();
        assert!(
            term.contents()
                .contains("scopes 1/1 · pages 0 · resources 0 · hosts 1/3"),
            "{}",
            term.contents()
        );
        assert_eq!((progress.counts().hosts_done, progress.counts().hosts_total), (1, 3));
    }

    #[test]
    fn hidden_only_counts() {
        let progress = Progress::hidden();
        progress.scopes(1);
        progress.page(7);
        progress.finish();
        assert!(progress.is_hidden());
        assert_eq!((progress.counts().pages, progress.counts().resources), (1, 7));
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
