//! Secrets never leave the process: every text built from a response, an error or a credential goes through
//! [`Redactor::clean`] before it is shown, logged or stored.

/// The secrets known to this run (tokens, client secrets), replaced wherever they appear.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

const MASK: &str = "[REDACTED]";

impl Redactor {
    /// Secrets shorter than 8 characters are not searched for: they would mask ordinary words. A secret is
    /// also searched for in the forms a server echoes it in: form-encoded (a token request's body) and as a
    /// JSON string.
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < 8 {
            return;
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        for form in [
            secret.to_string(),
            form_encoded(secret),
            json[1..json.len() - 1].to_string(),
        ] {
            if !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
        // The longest first, so that a form containing another is masked whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    pub fn clean(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), MASK))
    }
}

/// `application/x-www-form-urlencoded`: letters, digits and `*-._` kept, space as `+`, every other byte `%XX`.
fn form_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Redactor;

    #[test]
    fn every_known_secret_is_masked() {
        let mut r = Redactor::default();
        r.add("eyJ0eXAiOiJKV1Qi.canary");
        r.add("short");
        assert_eq!(
            r.clean("Bearer eyJ0eXAiOiJKV1Qi.canary was eyJ0eXAiOiJKV1Qi.canary; short"),
            "Bearer [REDACTED] was [REDACTED]; short"
        );
    }

    #[test]
    fn a_secret_is_masked_form_encoded_and_json_escaped_too() {
        let mut r = Redactor::default();
        r.add("a+b/c=d \"e\\f");
        assert_eq!(
            r.clean("a%2Bb%2Fc%3Dd+%22e%5Cf | a+b/c=d \\\"e\\\\f | a+b/c=d \"e\\f"),
            "[REDACTED] | [REDACTED] | [REDACTED]"
        );
    }
}
