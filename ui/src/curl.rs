//! "Copy as curl": the composed request as a shell command. The key is never written into it:
//! the command reads it from `$TXSTATE_KEY`, so a pasted command leaks no secret.

use txstate_core::Api;

/// Quotes `s` for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The curl command sending `body` to `api` at `base_url`.
pub fn command(base_url: &str, api: Api, body: &str) -> String {
    let url = format!("{}{}", base_url.trim_end_matches('/'), api.path());
    format!(
        "curl -sS -X {} {} \\\n  -H 'content-type: application/json' \\\n  -H \"authorization: Bearer $TXSTATE_KEY\" \\\n  --data-binary {}",
        api.method(),
        shell_quote(&url),
        shell_quote(body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_the_shell() {
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        let c = command("http://h:1/", Api::Voice, "{\"a\":\"b'c\"}");
        assert!(
            c.starts_with(
                "curl -sS -X PATCH 'http://h:1/campaignapi/resources/v3/voicecampaigntransactions'"
            ),
            "{c}"
        );
        assert!(c.ends_with("--data-binary '{\"a\":\"b'\\''c\"}'"), "{c}");
        assert!(c.contains("$TXSTATE_KEY"));
    }
}
