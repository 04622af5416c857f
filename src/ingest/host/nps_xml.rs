//! `netsh nps export filename=... exportPSK=YES` / `Export-NpsConfiguration` XML.
//!
//! The export is a dump of the NPS SDO tree: each object is an element whose tag is its name
//! sanitized (non-alphanumerics become `_`) with the real name in `name=`, its values under
//! `<Properties>` (each typed with `dt:dt`, the `dt` prefix declared on the element itself or on
//! `<Root>`), and its children under `<Children>`. A network policy points at its profile through
//! `msNPAction`, which holds the profile's real name under `RadiusProfiles` (connection request
//! policies likewise under `Proxy_Policies` / `Proxy_Profiles`).
//!
//! The file holds RADIUS shared secrets in clear. This module never reads them into the model;
//! [`secret_spans`] locates them so that snippets can be redacted.

use crate::ingest::host::text::{offset_at, ParseError};
use crate::model::{NetworkPolicy, NpsConfig, PolicyProfile, RadiusServer, RadiusServerGroup};
use roxmltree::{Document, Node};
use std::ops::Range;

/// Parse an NPS export. XML errors become a [`ParseError`] at the byte offset of roxmltree's
/// row/column; a malformed boolean or number is an error at its element.
pub fn parse_nps(text: &str) -> Result<NpsConfig, ParseError> {
    let doc = Document::parse(text).map_err(|e| {
        // roxmltree reports no position for a premature end: the error is at the end of text.
        let offset = if matches!(e, roxmltree::Error::UnexpectedEndOfStream) {
            text.len()
        } else {
            let pos = e.pos();
            offset_at(text, pos.row as usize, pos.col as usize, true)
        };
        ParseError::new(offset, format!("invalid XML: {e}"))
    })?;
    let ias = doc
        .descendants()
        .find(|n| n.has_tag_name("Microsoft_Internet_Authentication_Service"))
        .ok_or_else(|| {
            ParseError::new(
                0,
                "not an NPS export: no Microsoft_Internet_Authentication_Service element",
            )
        })?;
    let profiles = entries(ias, "RadiusProfiles")
        .map(profile)
        .collect::<Result<Vec<_>, _>>()?;
    let proxy_profiles = entries(ias, "Proxy_Profiles")
        .map(profile)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NpsConfig {
        network_policies: policies(entries(ias, "NetworkPolicy"), &profiles)?,
        connection_request_policies: policies(entries(ias, "Proxy_Policies"), &proxy_profiles)?,
        radius_server_groups: entries(ias, "RADIUS_Server_Groups")
            .map(server_group)
            .collect::<Result<_, _>>()?,
    })
}

/// The element children under a node's `<Children>`.
fn children_of<'a, 'i: 'a>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(|c| c.has_tag_name("Children"))
        .flat_map(|c| c.children().filter(Node::is_element))
}

/// The objects of one top-level collection of the IAS service (e.g. `NetworkPolicy`).
fn entries<'a, 'i: 'a>(ias: Node<'a, 'i>, section: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    children_of(ias)
        .filter(move |n| n.has_tag_name(section))
        .flat_map(children_of)
}

fn props<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(|c| c.has_tag_name("Properties"))
        .flat_map(|c| c.children().filter(Node::is_element))
        .filter(move |p| p.has_tag_name(name))
}

fn prop<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    props(node, name).next()
}

fn value(node: Node) -> String {
    node.text().unwrap_or("").trim().to_owned()
}

fn real_name(node: Node) -> String {
    node.attribute("name").unwrap_or(node.tag_name().name()).to_owned()
}

/// The start tag of an element, so a diagnostic points at one line rather than a whole subtree.
fn start_tag(node: Node) -> Range<usize> {
    let range = node.range();
    let bytes = node.document().input_text().as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().take(range.end).skip(range.start) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return range.start..i + 1,
            _ => {}
        }
    }
    range
}

fn parse_bool(node: Node) -> Result<bool, ParseError> {
    match value(node).to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        other => Err(ParseError::new(
            node.range().start,
            format!("{}: `{other}` is not a boolean", node.tag_name().name()),
        )),
    }
}

fn parse_u32(node: Node) -> Result<u32, ParseError> {
    let v = value(node);
    v.parse().map_err(|_| {
        ParseError::new(
            node.range().start,
            format!("{}: `{v}` is not a non-negative integer", node.tag_name().name()),
        )
    })
}

fn profile(node: Node) -> Result<PolicyProfile, ParseError> {
    let ignore = prop(node, "msIgnoreUserDialinProperties");
    Ok(PolicyProfile {
        name: real_name(node),
        span: start_tag(node),
        allow_dialin: prop(node, "msNPAllowDialin").map(parse_bool).transpose()?,
        ignore_user_dialin: ignore.map(parse_bool).transpose()?,
        ignore_span: ignore.map(|n| n.range()),
        auth_provider_type: prop(node, "msAuthProviderType").map(parse_u32).transpose()?,
        auth_provider_name: prop(node, "msAuthProviderName").map(value),
    })
}

/// Join a policy to its profile: `msNPAction` names the profile. A real export was seen whose
/// `msNPAction` matched no profile while a profile carried the policy's own name (the NPS console
/// names both alike), so that is the fallback.
fn find_profile<'p>(profiles: &'p [PolicyProfile], action: Option<&str>, policy: &str) -> Option<&'p PolicyProfile> {
    let by = |name: &str| {
        profiles
            .iter()
            .find(|p| p.name == name)
            .or_else(|| profiles.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
    };
    action.and_then(by).or_else(|| by(policy))
}

fn policies<'a, 'i: 'a>(
    nodes: impl Iterator<Item = Node<'a, 'i>>,
    profiles: &[PolicyProfile],
) -> Result<Vec<NetworkPolicy>, ParseError> {
    let mut out = nodes
        .map(|node| {
            let name = real_name(node);
            let action = prop(node, "msNPAction").map(value);
            let profile = find_profile(profiles, action.as_deref(), &name).cloned();
            Ok(NetworkPolicy {
                span: start_tag(node),
                enabled: prop(node, "Policy_Enabled")
                    .map(parse_bool)
                    .transpose()?
                    .unwrap_or(true),
                sequence: prop(node, "msNPSequence").map(parse_u32).transpose()?,
                constraints: props(node, "msNPConstraint").map(value).collect(),
                profile,
                name,
            })
        })
        .collect::<Result<Vec<_>, ParseError>>()?;
    // NPS evaluates policies in msNPSequence order; the sort is stable for equal or absent ones.
    out.sort_by_key(|p| (p.sequence.is_none(), p.sequence));
    Ok(out)
}

fn server_group(node: Node) -> Result<RadiusServerGroup, ParseError> {
    Ok(RadiusServerGroup {
        name: real_name(node),
        span: start_tag(node),
        servers: children_of(node).map(radius_server).collect::<Result<_, _>>()?,
    })
}

fn radius_server(node: Node) -> Result<RadiusServer, ParseError> {
    let timeout = prop(node, "Timeout");
    let blackout = prop(node, "Blackout_Interval");
    Ok(RadiusServer {
        name: real_name(node),
        address: prop(node, "Address").map(value),
        span: start_tag(node),
        timeout: timeout.map(parse_u32).transpose()?,
        timeout_span: timeout.map(|n| n.range()),
        blackout_interval: blackout.map(parse_u32).transpose()?,
        blackout_span: blackout.map(|n| n.range()),
    })
}

/// Byte spans of every secret value in the text: any element whose name contains "secret" (any
/// case, e.g. `Shared_Secret`, `Authentication_Secret`, `Accounting_Secret`) — the span of its
/// text content — and any attribute whose name contains "secret" (its value). Used to redact
/// snippets. Text that roxmltree rejects (a truncated export) goes through a lenient scan, so a
/// broken file's secrets are still found; sorted, possibly overlapping.
pub fn secret_spans(text: &str) -> Vec<Range<usize>> {
    let mut out = match Document::parse(text) {
        Ok(doc) => exact_secret_spans(&doc),
        Err(_) => lenient_secret_spans(text),
    };
    out.sort_by_key(|r| (r.start, r.end));
    out.dedup();
    out
}

fn is_secret(name: &str) -> bool {
    name.to_ascii_lowercase().contains("secret")
}

/// Secret values: the content and every attribute value of an element whose tag or `name` attribute says
/// secret (`<Shared_Secret>`, `<Property name="Shared_Secret" value="...">`), any attribute whose name
/// says secret, and the whole text of every comment and processing instruction (a secret pasted there
/// cannot be told apart, and nothing the rules read lives there).
fn exact_secret_spans(doc: &Document) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for node in doc.descendants() {
        let r = node.range();
        if node.is_comment() {
            out.push(r.start + "<!--".len()..r.end - "-->".len());
        } else if node.is_pi() {
            out.push(r.start + "<?".len()..r.end - "?>".len());
        }
        if !node.is_element() {
            continue;
        }
        let named_secret = node.attribute("name").is_some_and(is_secret);
        if is_secret(node.tag_name().name()) || named_secret {
            if let (Some(first), Some(last)) = (node.first_child(), node.last_child()) {
                out.push(first.range().start..last.range().end);
            }
        }
        out.extend(
            node.attributes()
                .filter(|a| is_secret(a.name()) || (named_secret && a.name() != "name"))
                .map(|a| a.range_value()),
        );
    }
    out
}

/// A tag-level scan that needs no well-formedness: an unterminated secret, comment or processing
/// instruction runs to the end of the text, so over-redaction is the failure mode, never a leak.
fn lenient_secret_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(lt) = text[at..].find('<').map(|p| p + at) {
        let name_start = lt + 1;
        at = name_start;
        for (open, close) in [("<!--", "-->"), ("<?", "?>")] {
            if text[lt..].starts_with(open) {
                let from = lt + open.len();
                let to = text[from..].find(close).map_or(text.len(), |p| p + from);
                out.push(from..to);
                at = (to + close.len()).min(text.len());
            }
        }
        if matches!(bytes.get(name_start), Some(b'/' | b'!' | b'?')) {
            continue;
        }
        let name_end = text[name_start..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(text.len(), |p| p + name_start);
        let (mut i, mut attr_from, mut tag_end) = (name_end, name_end, None);
        // Attribute values of this tag, and whether its `name` attribute says secret.
        let (mut values, mut named_secret) = (Vec::new(), false);
        while i < bytes.len() {
            match bytes[i] {
                b'>' => {
                    tag_end = Some(i + 1);
                    break;
                }
                q @ (b'"' | b'\'') => {
                    let v_start = i + 1;
                    let v_end = text[v_start..].find(q as char).map_or(text.len(), |p| p + v_start);
                    let attr = text[attr_from..i].trim_end().trim_end_matches('=');
                    let attr = attr.split_whitespace().last().unwrap_or("");
                    if attr == "name" {
                        named_secret |= is_secret(&text[v_start..v_end]);
                    } else {
                        values.push((is_secret(attr), v_start..v_end));
                    }
                    i = v_end + 1;
                    attr_from = i.min(text.len());
                }
                _ => i += 1,
            }
        }
        out.extend(
            values
                .into_iter()
                .filter(|(secret, _)| *secret || named_secret)
                .map(|(_, r)| r),
        );
        let Some(tag_end) = tag_end else { break };
        at = tag_end;
        let self_closing = bytes[tag_end - 2] == b'/';
        if !self_closing && (named_secret || is_secret(&text[name_start..name_end])) {
            let content_end = text[tag_end..].find("</").map_or(text.len(), |p| p + tag_end);
            if content_end > tag_end {
                out.push(tag_end..content_end);
            }
        }
    }
    out
}
