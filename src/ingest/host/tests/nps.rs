use super::fixture;
use crate::ingest::host::nps_xml::{parse_nps, secret_spans};
use crate::model::RadiusServer;

#[test]
fn export_is_namespace_valid_per_element() {
    let text = fixture("nps-config.xml");
    let doc = roxmltree::Document::parse(&text).expect("namespace-valid");
    let dt = "urn:schemas-microsoft-com:datatypes";
    let typed: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute((dt, "dt")).is_some())
        .collect();
    assert!(typed.len() > 20);
    for n in typed {
        // Declared on the element itself (the root declares nothing), as real exports do.
        let start = &text[n.range().start..];
        let tag_end = start.find('>').unwrap();
        assert!(start[..tag_end].contains(r#"xmlns:dt="urn:schemas-microsoft-com:datatypes""#));
    }
}

#[test]
fn network_policies_sorted_and_joined_to_profiles() {
    let text = fixture("nps-config.xml");
    let nps = parse_nps(&text).unwrap();
    let names: Vec<_> = nps.network_policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["RDG_CAP", "Old RDG CAP"], "msNPSequence order, not file order");

    let active = &nps.network_policies[0];
    assert!(active.enabled);
    assert_eq!(active.sequence, Some(1));
    assert_eq!(active.constraints.len(), 2);
    assert!(text[active.span.clone()].starts_with("<RDG_CAP name=\"RDG_CAP\">"));
    let profile = active.profile.as_ref().unwrap();
    assert_eq!(profile.allow_dialin, Some(true));
    assert_eq!(profile.ignore_user_dialin, None, "absent, i.e. unchecked");
    assert_eq!(profile.ignore_span, None);

    let disabled = &nps.network_policies[1];
    assert!(!disabled.enabled);
    let old = disabled.profile.as_ref().unwrap();
    assert_eq!(old.name, "Old RDG CAP");
    assert_eq!(old.ignore_user_dialin, Some(true));
    let ignore = &text[old.ignore_span.clone().unwrap()];
    assert!(ignore.starts_with("<msIgnoreUserDialinProperties") && ignore.ends_with('>'));
}

#[test]
fn connection_request_policy_forwards_to_the_gateway_group() {
    let nps = parse_nps(&fixture("nps-config.xml")).unwrap();
    let crp = &nps.connection_request_policies[0];
    assert_eq!(crp.name, "TS GATEWAY AUTHORIZATION POLICY");
    let profile = crp.profile.as_ref().unwrap();
    assert_eq!(profile.auth_provider_type, Some(2));
    assert_eq!(profile.auth_provider_name.as_deref(), Some("TS GATEWAY SERVER GROUP"));
}

#[test]
fn gateway_group_timeout_and_default_blackout() {
    let text = fixture("nps-config.xml");
    let nps = parse_nps(&text).unwrap();
    let group = &nps.radius_server_groups[0];
    assert_eq!(group.name, "TS GATEWAY SERVER GROUP", "real name from name=");
    let server = &group.servers[0];
    assert_eq!(server.name, "10.0.1.5");
    assert_eq!(server.address.as_deref(), Some("10.0.1.5"));
    assert_eq!(server.timeout, Some(3));
    assert!(text[server.timeout_span.clone().unwrap()].ends_with(">3</Timeout>"));
    assert_eq!(server.blackout_interval, None);
    assert_eq!(server.blackout_span, None);
    assert_eq!(server.effective_timeout(), 3);
    assert_eq!(server.effective_blackout(), 30);
    // The model never holds a secret.
    assert!(!format!("{nps:?}").contains("REDACTED"));
}

#[test]
fn nps_defaults() {
    let mut s = RadiusServer {
        name: "x".into(),
        address: None,
        span: 0..0,
        timeout: None,
        timeout_span: None,
        blackout_interval: None,
        blackout_span: None,
    };
    assert_eq!((s.effective_timeout(), s.effective_blackout()), (3, 30));
    s.timeout = Some(0);
    assert_eq!(s.effective_blackout(), 0);
    s.timeout = Some(u32::MAX);
    assert_eq!(s.effective_blackout(), u32::MAX);
    s.blackout_interval = Some(60);
    assert_eq!(s.effective_blackout(), 60);
}

#[test]
fn truncated_xml_is_an_error_with_an_offset() {
    let text = fixture("nps-config.xml");
    let cut = &text[..text.find("<NetworkPolicy").unwrap() + 20];
    let err = parse_nps(cut).unwrap_err();
    assert!(err.offset > 0 && err.offset <= cut.len(), "{err:?}");
    assert!(err.message.contains("XML"));
    // A well-formed document that is not an NPS export is refused too.
    assert_eq!(parse_nps("<Root/>").unwrap_err().offset, 0);
}

#[test]
fn bad_typed_values_point_at_their_element() {
    let dt = r#"xmlns:dt="urn:schemas-microsoft-com:datatypes""#;
    let text = format!(
        "<Root><Children><Microsoft_Internet_Authentication_Service><Children>\
         <NetworkPolicy><Children><P name=\"P\"><Properties>\
         <Policy_Enabled {dt} dt:dt=\"boolean\">maybe</Policy_Enabled>\
         </Properties></P></Children></NetworkPolicy>\
         </Children></Microsoft_Internet_Authentication_Service></Children></Root>"
    );
    let err = parse_nps(&text).unwrap_err();
    assert_eq!(err.offset, text.find("<Policy_Enabled").unwrap());
    let bad_timeout = text.replace(">maybe<", ">1<").replace("<NetworkPolicy>", "<RADIUS_Server_Groups><Children><G name=\"G\"><Children><S><Properties><Timeout>-1</Timeout></Properties></S></Children></G></Children></RADIUS_Server_Groups><NetworkPolicy>");
    assert!(parse_nps(&bad_timeout).unwrap_err().message.contains("Timeout"));
}

#[test]
fn secret_spans_in_a_valid_export() {
    let text = fixture("nps-config.xml");
    let spans = secret_spans(&text);
    let values: Vec<_> = spans.iter().map(|r| &text[r.clone()]).collect();
    assert_eq!(values, ["REDACTED"; 3], "Shared, Accounting and Authentication secrets");
}

#[test]
fn secret_on_the_same_line_as_timeout() {
    let dt = r#"xmlns:dt="urn:schemas-microsoft-com:datatypes""#;
    let line = format!(
        "<S name=\"10.0.1.5\"><Properties><Timeout {dt} dt:dt=\"int\">3</Timeout>\
         <Shared_Secret {dt} dt:dt=\"string\">s3cr&amp;t</Shared_Secret>\
         <X clientSecret='attr-secret'/></Properties></S>"
    );
    for text in [line.clone(), format!("<Root>{line}")] {
        // The second form is not well-formed: the lenient scan must find the same values.
        let values: Vec<_> = secret_spans(&text).into_iter().map(|r| text[r].to_owned()).collect();
        assert_eq!(values, ["s3cr&amp;t", "attr-secret"], "{text}");
    }
    let truncated = format!("<S><Timeout {dt} dt:dt=\"int\">3</Timeout><Shared_Secret {dt} dt:dt=\"string\">s3cr");
    let spans = secret_spans(&truncated);
    assert_eq!(&truncated[spans[0].clone()], "s3cr", "runs to the end of the text");
    let open_attr = "<X Accounting_Secret=\"abc";
    assert_eq!(&open_attr[secret_spans(open_attr)[0].clone()], "abc");
    assert!(secret_spans("<Shared_Secret></Shared_Secret><Shared_Secret/>").is_empty());
    assert!(secret_spans("<a><Shared_Secret/>").is_empty());
}

#[test]
fn secrets_in_comments_instructions_and_named_properties() {
    let body = "<Properties><!-- Shared_Secret was c0mment-s3cret --><?note pi-s3cret?>\
                <Property name=\"Shared_Secret\" value=\"named-s3cret\">inner-s3cret</Property>\
                <Property name=\"Timeout\" value=\"30\"/></Properties>";
    for text in [format!("<Root>{body}</Root>"), format!("<Root>{body}")] {
        // Well-formed (exact) and truncated (lenient) exports give the same redactions.
        let values: Vec<_> = secret_spans(&text).into_iter().map(|r| text[r].to_owned()).collect();
        assert_eq!(
            values,
            [
                " Shared_Secret was c0mment-s3cret ",
                "note pi-s3cret",
                "named-s3cret",
                "inner-s3cret"
            ],
            "{text}"
        );
    }
}
