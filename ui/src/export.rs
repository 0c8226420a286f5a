//! The request log as a file: CSV (one row a request, cells defused by core's CSV writer) or
//! NDJSON (each request whole, as the admin API answers it).

use txstate_core::admin::LogEntry;
use txstate_core::csv::row;
use txstate_core::time::DateTime;

/// The CSV export's columns.
pub const CSV_HEADER: [&str; 12] = [
    "transactionId",
    "at",
    "endpoint",
    "method",
    "status",
    "code",
    "apiKeyId",
    "requestId",
    "replayOf",
    "latencyMs",
    "client",
    "body",
];

/// The entries as CSV, a header first; times in UTC (`yyyy-MM-dd HH:mm:ss`).
pub fn csv(entries: &[LogEntry]) -> String {
    let mut out = row(&CSV_HEADER);
    for e in entries {
        let at = DateTime::from_epoch_ms(e.at_ms)
            .map(|d| d.format_seconds())
            .unwrap_or_default();
        out.push_str(&row(&[
            e.transaction_id.as_str(),
            &at,
            &e.endpoint,
            &e.method,
            &e.status.to_string(),
            &e.code.map(|c| c.to_string()).unwrap_or_default(),
            e.api_key_id.as_deref().unwrap_or(""),
            e.request_id.as_deref().unwrap_or(""),
            e.replay_of.as_deref().unwrap_or(""),
            &format!("{:.3}", e.latency_us as f64 / 1000.0),
            e.client.as_deref().unwrap_or(""),
            &e.body,
        ]));
    }
    out
}

/// The entries as NDJSON, one JSON object a line.
pub fn ndjson(entries: &[LogEntry]) -> String {
    entries
        .iter()
        .filter_map(|e| serde_json::to_string(e).ok())
        .map(|l| l + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LogEntry {
        LogEntry {
            transaction_id: "NTS_1".into(),
            at_ms: 1_605_176_995_000,
            endpoint: "notify".into(),
            method: "POST".into(),
            status: 500,
            code: Some(1102),
            latency_us: 1_500,
            body: "=cmd|' /C calc'!A0".into(),
            ..LogEntry::default()
        }
    }

    #[test]
    fn csv_rows_are_defused_and_read_back() {
        let text = csv(&[entry()]);
        let rows: Vec<Vec<String>> = crate::csv::parse(&text)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], CSV_HEADER);
        assert_eq!(rows[1][1], "2020-11-12 10:29:55");
        assert_eq!(rows[1][5], "1102");
        assert_eq!(rows[1][9], "1.500");
        assert_eq!(rows[1][11], "'=cmd|' /C calc'!A0");
    }

    #[test]
    fn ndjson_lines_are_the_entries() {
        let text = ndjson(&[entry(), entry()]);
        assert_eq!(text.lines().count(), 2);
        let back: LogEntry = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(
            (back.transaction_id.as_str(), back.code),
            ("NTS_1", Some(1102))
        );
    }
}
