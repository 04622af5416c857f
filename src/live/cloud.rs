//! Azure clouds (management endpoint, token authority, audience) and the `--endpoint` override.

use azure_core::cloud::CloudConfiguration;

/// `--cloud`: the sovereign cloud whose Resource Manager and Entra ID are used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Cloud {
    #[default]
    #[value(name = "AzureCloud")]
    AzureCloud,
    #[value(name = "AzureUSGovernment")]
    AzureUsGovernment,
    #[value(name = "AzureChinaCloud")]
    AzureChinaCloud,
}

impl Cloud {
    /// The Resource Manager endpoint, which is also the token audience.
    pub fn management(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "https://management.azure.com",
            Cloud::AzureUsGovernment => "https://management.usgovcloudapi.net",
            Cloud::AzureChinaCloud => "https://management.chinacloudapi.cn",
        }
    }

    /// The scope a token is requested for: the management audience (never the `--endpoint` override).
    pub fn token_scope(self) -> String {
        format!("{}/.default", self.management())
    }

    /// The token authority for `azure_identity`.
    pub fn configuration(self) -> CloudConfiguration {
        match self {
            Cloud::AzureCloud => CloudConfiguration::AzurePublic,
            Cloud::AzureUsGovernment => CloudConfiguration::AzureGovernment,
            Cloud::AzureChinaCloud => CloudConfiguration::AzureChina,
        }
    }
}

/// The management endpoint to send requests to: `--endpoint` (without a trailing `/`) or the cloud's. A token
/// must never travel in clear, so plain `http://` is accepted only for a loopback host (tests).
pub fn endpoint(cloud: Cloud, over: Option<&str>) -> Result<String, String> {
    let Some(url) = over else {
        return Ok(cloud.management().to_string());
    };
    let url = url.trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("--endpoint {url}: expected an https:// URL"))?;
    let host = rest.split('/').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" if !host.is_empty() => Ok(url.to_string()),
        "http" if is_loopback(host) => Ok(url.to_string()),
        "http" => Err(format!(
            "--endpoint {url}: plain http:// is accepted only for a loopback address (127.0.0.1, ::1, localhost); use https://"
        )),
        _ => Err(format!("--endpoint {url}: expected an https:// URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_loopback() {
        let ok = |u: &str| endpoint(Cloud::AzureCloud, Some(u));
        assert_eq!(ok("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert!(ok("http://[::1]:80").is_ok() && ok("http://localhost:1").is_ok());
        assert!(ok("http://10.0.0.1:8080").is_err() && ok("http://127.0.0.1.evil.example").is_err());
        assert!(ok("ftp://127.0.0.1").is_err() && ok("management.azure.com").is_err());
        assert_eq!(ok("https://example.test/").unwrap(), "https://example.test");
        assert_eq!(
            endpoint(Cloud::AzureChinaCloud, None).unwrap(),
            "https://management.chinacloudapi.cn"
        );
    }
}
