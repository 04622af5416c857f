//! `host-summary.json`: the compact document the collector's `-Summary` mode prints (for Run Command,
//! whose output is cut to 4 KB). Validated against `schemas/host-summary.schema.json`, then turned into
//! the same facts the evidence files give (files win where both exist).

use std::ops::Range;

use serde::Deserialize;

use crate::error::InputError;
use crate::locate::locate_pointers;
use crate::model::{
    AuthDlls, Fact, Host, NetworkPolicy, NpsConfig, NpsEvidence, PolicyProfile, RadiusServer, RadiusServerGroup,
    SidType,
};
use crate::source::{Origin, Source, SourceId};

pub const SCHEMA: &str = include_str!("../../../schemas/host-summary.schema.json");

#[derive(Debug, Deserialize)]
pub struct HostSummary {
    computer_name: Option<String>,
    os: Option<Os>,
    features: Option<Vec<String>>,
    licensing: Option<Licensing>,
    ias_sid_type: Option<String>,
    mfa: Option<Mfa>,
    ad_registration: Option<AdRegistration>,
    nps: Option<Nps>,
}

#[derive(Debug, Deserialize)]
struct Os {
    caption: Option<String>,
    build: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Licensing {
    policy_mode: Option<u32>,
    policy_read: Option<String>,
    rcm_mode: Option<u32>,
    rcm_read: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Mfa {
    extension_dlls: Option<Vec<String>>,
    authorization_dlls: Option<Vec<String>>,
    authsrv_read: Option<String>,
    require_user_match: Option<String>,
    azuremfa_read: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AdRegistration {
    member_of_ras_and_ias_servers: Option<bool>,
    read: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Nps {
    read: Option<String>,
    network_policies: Option<Vec<Policy>>,
    connection_request_policies: Option<Vec<Policy>>,
    radius_server_groups: Option<Vec<Group>>,
}

#[derive(Debug, Deserialize)]
struct Policy {
    name: String,
    enabled: Option<bool>,
    sequence: Option<u32>,
    allow_dialin: Option<bool>,
    ignore_user_dialin: Option<bool>,
    auth_provider_type: Option<u32>,
    auth_provider_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Group {
    name: String,
    #[serde(default)]
    servers: Vec<Server>,
}

#[derive(Debug, Deserialize)]
struct Server {
    name: String,
    timeout: Option<u32>,
    blackout_interval: Option<u32>,
}

/// "ok" or "absent": the value was read (absent: the key does not exist); "error" or missing: not read.
fn was_read(status: &Option<String>) -> bool {
    matches!(status.as_deref(), Some("ok" | "absent"))
}

impl HostSummary {
    pub fn parse(source: &Source) -> Result<Self, InputError> {
        let value: serde_json::Value = serde_json::from_str(&source.text)
            .map_err(|e| source.error_at_line(e.line(), e.column(), format!("malformed JSON: {e}")))?;
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("the embedded schema is valid JSON");
        let validator = jsonschema::validator_for(&schema).expect("the embedded schema compiles");
        if let Some(err) = validator.iter_errors(&value).next() {
            let pointer = err.instance_path().to_string();
            return Err(source.error_at_pointer(&pointer, format!("host summary does not match its schema: {err}")));
        }
        serde_json::from_value(value).map_err(|e| source.error_at(0, format!("invalid host summary: {e}")))
    }

    /// Fill the facts the files did not give.
    pub fn apply(&self, host: &mut Host, id: SourceId, source: &Source) {
        let at = |p: &str| Origin::pointer(id, p);
        if host.name.is_empty() {
            host.name = self.computer_name.clone().unwrap_or_default();
        }
        if let Some(os) = &self.os {
            host.os_caption = host.os_caption.take().or_else(|| os.caption.clone());
            fill(&mut host.os_build, || os.build.map(|b| Fact::new(b, at("/os/build"))));
        }
        fill(&mut host.features, || {
            self.features.clone().map(|f| Fact::new(f, at("/features")))
        });
        if let Some(l) = &self.licensing {
            fill(&mut host.licensing_policy, || {
                was_read(&l.policy_read).then(|| Fact::new(l.policy_mode, at("/licensing/policy_mode")))
            });
            fill(&mut host.licensing_rcm, || {
                was_read(&l.rcm_read).then(|| Fact::new(l.rcm_mode, at("/licensing/rcm_mode")))
            });
        }
        fill(&mut host.ias_sid_type, || {
            let t = self.ias_sid_type.as_deref()?;
            Some(Fact::new(Some(SidType::parse(t)?), at("/ias_sid_type")))
        });
        if let Some(m) = &self.mfa {
            fill(&mut host.auth_dlls, || {
                let dlls = AuthDlls {
                    extension: m.extension_dlls.clone().unwrap_or_default(),
                    authorization: m.authorization_dlls.clone().unwrap_or_default(),
                };
                was_read(&m.authsrv_read).then(|| Fact::new(dlls, at("/mfa/extension_dlls")))
            });
            fill(&mut host.require_user_match, || {
                was_read(&m.azuremfa_read)
                    .then(|| Fact::new(m.require_user_match.clone(), at("/mfa/require_user_match")))
            });
        }
        if let Some(r) = &self.ad_registration {
            fill(&mut host.ras_and_ias_members, || {
                let member = r.member_of_ras_and_ias_servers?;
                let names = if member {
                    vec![self.computer_name.clone().unwrap_or_default()]
                } else {
                    Vec::new()
                };
                was_read(&r.read).then(|| Fact::new(names, at("/ad_registration/member_of_ras_and_ias_servers")))
            });
        }
        if host.nps.is_none() {
            host.nps = self
                .nps
                .as_ref()
                .filter(|n| n.read.as_deref() == Some("ok"))
                .map(|n| NpsEvidence {
                    config: n.config(&source.text),
                    source: id,
                });
        }
    }
}

fn fill<T>(slot: &mut Option<T>, make: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = make();
    }
}

impl Nps {
    /// The same model the XML export gives, with spans located in the summary's own text.
    fn config(&self, text: &str) -> NpsConfig {
        let span = |p: String| locate_pointers(text, &[p.as_str()]).pop().flatten().unwrap_or(0..0);
        let policies = |list: &Option<Vec<Policy>>, base: &str| -> Vec<NetworkPolicy> {
            list.iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| {
                    let s: Range<usize> = span(format!("/nps/{base}/{i}"));
                    NetworkPolicy {
                        name: p.name.clone(),
                        span: s.clone(),
                        enabled: p.enabled.unwrap_or(true),
                        sequence: p.sequence,
                        constraints: Vec::new(),
                        profile: Some(PolicyProfile {
                            name: p.name.clone(),
                            span: s,
                            allow_dialin: p.allow_dialin,
                            ignore_user_dialin: p.ignore_user_dialin,
                            ignore_span: Some(span(format!("/nps/{base}/{i}/ignore_user_dialin"))),
                            auth_provider_type: p.auth_provider_type,
                            auth_provider_name: p.auth_provider_name.clone(),
                        }),
                    }
                })
                .collect()
        };
        NpsConfig {
            network_policies: policies(&self.network_policies, "network_policies"),
            connection_request_policies: policies(&self.connection_request_policies, "connection_request_policies"),
            radius_server_groups: self
                .radius_server_groups
                .iter()
                .flatten()
                .enumerate()
                .map(|(g, grp)| RadiusServerGroup {
                    name: grp.name.clone(),
                    span: span(format!("/nps/radius_server_groups/{g}")),
                    servers: grp
                        .servers
                        .iter()
                        .enumerate()
                        .map(|(s, srv)| {
                            let base = format!("/nps/radius_server_groups/{g}/servers/{s}");
                            RadiusServer {
                                name: srv.name.clone(),
                                address: None,
                                span: span(base.clone()),
                                timeout: srv.timeout,
                                timeout_span: Some(span(format!("{base}/timeout"))),
                                blackout_interval: srv.blackout_interval,
                                blackout_span: Some(span(format!("{base}/blackout_interval"))),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
