//! Secrets never leave the process: every text built from a response, an error or a credential goes through
//! [`Redactor::clean`] before it is shown, logged or stored.

/// The secrets known to this run (tokens, client secrets), replaced wherever they appear.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

const MASK: &str = "[REDACTED]";

impl Redactor {
    /// Secrets shorter than 8 characters are not searched for: they would mask ordinary words.
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() >= 8 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
        }
    }

    pub fn clean(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), MASK))
    }
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
}
