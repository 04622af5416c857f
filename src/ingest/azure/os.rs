//! Which operating system a VM runs, from what its definition says: the OS profile's configuration block,
//! the OS disk's `osType`, else the marketplace image's publisher (and offer). Nothing else is guessed: a VM
//! none of these name stays [`Os::Unknown`].

use super::node::Node;
use crate::model::Os;

/// Marketplace image publishers that name the OS, with the offers that do (empty: every offer). A short,
/// documented list of the publishers RDS, NPS and Domain Services deployments use; anything else is unknown.
/// `MicrosoftSQLServer` publishes Windows offers (`sql2019-ws2019`, `SQL2016SP2-WS2016`) and Linux ones
/// (`sql2019-ubuntu2004`, `sql2019-rhel8`, `sql2019-sles12sp5`).
const IMAGE_PUBLISHERS: &[(&str, &[&str], Os)] = &[
    ("MicrosoftWindowsServer", &[], Os::Windows),
    ("MicrosoftWindowsDesktop", &[], Os::Windows),
    ("MicrosoftSQLServer", &["ws20", "windows"], Os::Windows),
    ("MicrosoftSQLServer", &["ubuntu", "rhel", "sles"], Os::Other),
    ("MicrosoftVisualStudio", &["windows", "visualstudio"], Os::Windows),
    ("MicrosoftDynamicsAX", &[], Os::Windows),
    ("Canonical", &[], Os::Other),
    ("RedHat", &[], Os::Other),
    ("SUSE", &[], Os::Other),
    ("OpenLogic", &[], Os::Other),
    ("Debian", &[], Os::Other),
    ("MicrosoftCBLMariner", &[], Os::Other),
];

/// The OS of a VM from its properties node (`properties`, or the flattened az object).
pub fn vm_os(p: Node<'_>) -> Os {
    let profile = p.get("osProfile");
    let storage = p.get("storageProfile");
    let storage = storage.as_ref().map(|s| s.node());
    let from_profile = profile.as_ref().and_then(|o| {
        let o = o.node();
        if o.get("windowsConfiguration").is_some() {
            Some(Os::Windows)
        } else {
            o.get("linuxConfiguration").map(|_| Os::Other)
        }
    });
    let from_disk = storage
        .and_then(|s| s.get("osDisk"))
        .and_then(|d| d.node().str("osType").map(os_type));
    let from_image = storage
        .and_then(|s| s.get("imageReference"))
        .and_then(|i| image(i.node().str("publisher")?, i.node().str("offer").unwrap_or("")));
    [from_profile, from_disk, from_image]
        .into_iter()
        .flatten()
        .find(|os| *os != Os::Unknown)
        .unwrap_or(Os::Unknown)
}

/// `osType` (`Windows`, `Linux`); any other value says nothing.
pub(crate) fn os_type(s: &str) -> Os {
    match s.trim() {
        t if t.eq_ignore_ascii_case("windows") => Os::Windows,
        t if t.eq_ignore_ascii_case("linux") => Os::Other,
        _ => Os::Unknown,
    }
}

/// The OS a marketplace image names, by [`IMAGE_PUBLISHERS`].
pub(crate) fn image(publisher: &str, offer: &str) -> Option<Os> {
    let offer = offer.to_ascii_lowercase();
    IMAGE_PUBLISHERS
        .iter()
        .find(|(p, offers, _)| {
            p.eq_ignore_ascii_case(publisher.trim()) && (offers.is_empty() || offers.iter().any(|o| offer.contains(o)))
        })
        .map(|&(_, _, os)| os)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::source::Origin;

    fn os(v: Value) -> Os {
        let origin = Origin::pointer(0, "");
        vm_os(Node {
            value: &v,
            origin: &origin,
        })
    }

    fn image_ref(publisher: &str, offer: &str) -> Value {
        json!({"storageProfile": {"imageReference": {"publisher": publisher, "offer": offer, "sku": "x"}}})
    }

    #[test]
    fn the_profile_or_the_disk_names_the_os() {
        assert_eq!(os(json!({"osProfile": {"windowsConfiguration": {}}})), Os::Windows);
        assert_eq!(os(json!({"osProfile": {"linuxConfiguration": {}}})), Os::Other);
        assert_eq!(
            os(json!({"storageProfile": {"osDisk": {"osType": "windows"}}})),
            Os::Windows
        );
        assert_eq!(
            os(json!({"storageProfile": {"osDisk": {"osType": "Linux"}}})),
            Os::Other
        );
    }

    #[test]
    fn known_publishers_name_the_os_and_others_say_nothing() {
        for (publisher, offer) in [
            ("MicrosoftWindowsServer", "WindowsServer"),
            ("microsoftwindowsdesktop", "windows-11"),
            ("MicrosoftSQLServer", "sql2019-ws2019"),
            ("MicrosoftSQLServer", "SQL2016SP2-WS2016"),
            ("MicrosoftVisualStudio", "visualstudio2022"),
            ("MicrosoftDynamicsAX", "dynamics"),
        ] {
            assert_eq!(os(image_ref(publisher, offer)), Os::Windows, "{publisher} {offer}");
        }
        for (publisher, offer) in [
            ("Canonical", "ubuntu-24_04-lts"),
            ("MicrosoftSQLServer", "sql2019-rhel8"),
        ] {
            assert_eq!(os(image_ref(publisher, offer)), Os::Other, "{publisher} {offer}");
        }
        for (publisher, offer) in [("MicrosoftSQLServer", "sql2019-custom"), ("contoso", "golden-image")] {
            assert_eq!(os(image_ref(publisher, offer)), Os::Unknown, "{publisher} {offer}");
        }
        assert_eq!(os(json!({"storageProfile": {"osDisk": {"osType": "?"}}})), Os::Unknown);
        assert_eq!(os(json!({})), Os::Unknown);
    }

    #[test]
    fn an_unresolved_template_value_says_nothing() {
        let unresolved = json!({"$unresolved": "[parameters('publisher')]", "reason": "no value"});
        let v = json!({"storageProfile": {"imageReference": {"publisher": unresolved, "offer": "WindowsServer"}}});
        assert_eq!(os(v), Os::Unknown);
    }
}
