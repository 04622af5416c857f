//! The network engine on generated rule sets of n custom rules (plus Azure's defaults): RDS001's shadowing
//! analysis of an Allow of RDP from anywhere placed below them, and RDS003's effective inbound path through a
//! subnet NSG and a NIC NSG. Half the rules deny RDP from scattered internet /24s, so the address sets the
//! engine carries fragment as they would on a hand-grown NSG.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rdsaudit::net::addresses::{address_block, AddressSpec, Target};
use rdsaudit::net::nsg::{default_rules, unshadowed_exposure, Access, Direction, RuleSpec};
use rdsaudit::net::path::{effective_inbound, NoNsgPolicy};
use rdsaudit::net::ports::PortSet;
use rdsaudit::net::protocol::Protocol;
use rdsaudit::net::RDP_PORT;

const SIZES: [usize; 3] = [10, 100, 1000];

fn inbound(priority: usize, access: Access, source: &str, ports: &str) -> RuleSpec {
    RuleSpec {
        priority: u32::try_from(priority).expect("a priority"),
        access,
        direction: Direction::Inbound,
        protocol: Protocol::Tcp,
        sources: vec![AddressSpec::parse(source).expect("a prefix")],
        destinations: vec![AddressSpec::Any],
        dest_ports: PortSet::parse(ports).expect("ports"),
    }
}

/// `n` rules alternating "Deny RDP" and "Allow HTTPS" from distinct internet /24s, then "Allow RDP from *"
/// (at index `n`), then Azure's default rules.
fn nsg(n: usize) -> Vec<RuleSpec> {
    let custom = (0..n).map(|i| {
        let source = format!("{}.{}.{}.0/24", 20 + i / 65536, i / 256 % 256, i % 256);
        match i % 2 {
            0 => inbound(100 + i, Access::Deny, &source, "3389"),
            _ => inbound(100 + i, Access::Allow, &source, "443"),
        }
    });
    let open = inbound(4000, Access::Allow, "*", "3389");
    let defaults = default_rules().into_iter().map(|(_, rule)| rule);
    custom.chain(std::iter::once(open)).chain(defaults).collect()
}

fn shadowing(c: &mut Criterion) {
    let mut group = c.benchmark_group("net/unshadowed_exposure");
    for n in SIZES {
        let rules = nsg(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &rules, |b, rules| {
            b.iter(|| unshadowed_exposure(black_box(rules), n, RDP_PORT))
        });
    }
    group.finish();
}

fn path(c: &mut Criterion) {
    let target = Target {
        private_ips: vec![address_block("10.1.0.4", None).expect("an address")],
        asgs: Some(Vec::new()),
    };
    let mut group = c.benchmark_group("net/effective_inbound");
    for n in SIZES {
        let (subnet, nic) = (nsg(n), nsg(n / 2));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let subnet = Some(black_box(subnet.as_slice()));
                effective_inbound(subnet, Some(nic.as_slice()), &target, RDP_PORT, NoNsgPolicy::Closed)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, shadowing, path);
criterion_main!(benches);
