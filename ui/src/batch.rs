//! Batch validation: a file of payloads (a JSON array, NDJSON, or CSV with the contract's
//! columns) read into request bodies, validated by core a chunk at a time (the page yields
//! between chunks), summarised by code, and written out as CSV.

use serde::de::IgnoredAny;
use txstate_core::{validate, Api, Code, Options};

use crate::csv;
use crate::form::quote;
use txstate_core::fields::table as fields;

/// Rows validated between two yields to the browser: small enough to keep the page responsive
/// (~1 ms of work), large enough that yielding costs little.
pub const CHUNK: usize = 250;

/// The file's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `[ {...}, {...} ]`
    JsonArray,
    /// One JSON object per line.
    Ndjson,
    /// A header of the contract's field names, then one row per payload.
    Csv,
}

impl Format {
    /// For the page.
    pub fn label(self) -> &'static str {
        match self {
            Format::JsonArray => "JSON array",
            Format::Ndjson => "NDJSON",
            Format::Csv => "CSV",
        }
    }
}

/// One payload of the file: where it starts and the body to validate, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line (JSON array: element's line; CSV: the record's line).
    pub line: usize,
    /// The request body.
    pub body: String,
}

/// A file read into rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// What the file was.
    pub format: Format,
    /// The API its rows look like, if they say.
    pub api: Option<Api>,
    /// The payloads.
    pub rows: Vec<Row>,
}

/// The file's shape, from its first non-blank character.
pub fn detect(text: &str) -> Format {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('[') => Format::JsonArray,
        Some('{') => Format::Ndjson,
        _ => Format::Csv,
    }
}

/// Which API a body's member names belong to.
pub fn guess_api(body: &str) -> Option<Api> {
    let has = |name: &str| body.contains(&quote(name));
    if has("transaction-id") || has("call-starttime") || has("drop-code") {
        Some(Api::Voice)
    } else if has("refTransId") || has("responseState") || has("deploymentId") {
        Some(Api::Notify)
    } else {
        None
    }
}

/// Reads a file into rows. Errors name the line.
pub fn read(text: &str) -> Result<Batch, String> {
    let format = detect(text);
    let rows = match format {
        Format::JsonArray => split_array(text)?,
        Format::Ndjson => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| Row {
                line: i + 1,
                body: l.to_owned(),
            })
            .collect(),
        Format::Csv => from_csv(text)?,
    };
    let api = rows.iter().find_map(|r| guess_api(&r.body));
    Ok(Batch { format, api, rows })
}

/// The elements of a JSON array, each as its exact text.
fn split_array(text: &str) -> Result<Vec<Row>, String> {
    serde_json::from_str::<Vec<IgnoredAny>>(text)
        .map_err(|e| format!("not a JSON array of payloads: {e}"))?;
    let bytes = text.as_bytes();
    let mut rows = Vec::new();
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    let mut line = 1;
    let mut start: Option<(usize, usize)> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            line += 1;
        }
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        if depth == 1 && start.is_none() && !b.is_ascii_whitespace() && b != b',' && b != b']' {
            start = Some((i, line));
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth -= 1,
            _ => {}
        }
        if let Some((s, l)) = start {
            if (depth == 1 && b == b',') || depth == 0 {
                rows.push(Row {
                    line: l,
                    body: text[s..i].trim_end().to_owned(),
                });
                start = None;
            }
        }
    }
    Ok(rows)
}

/// CSV rows as JSON bodies: every non-empty cell becomes a string member named by the header.
fn from_csv(text: &str) -> Result<Vec<Row>, String> {
    let mut records = csv::parse(text).map_err(|e| e.to_string())?.into_iter();
    let Some((_, header)) = records.next() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_owned()).collect();
    let known = |h: &str| {
        [Api::Notify, Api::Voice]
            .iter()
            .any(|&a| fields(a).iter().any(|f| f.name == h))
    };
    if !header.iter().any(|h| known(h)) {
        return Err(
            "the CSV header names none of the contract's fields (e.g. responseState,refTransId,deploymentId)"
                .to_owned(),
        );
    }
    records
        .map(|(line, cells)| {
            if cells.len() > header.len() {
                return Err(format!(
                    "CSV line {line}: {} cells, the header has {}",
                    cells.len(),
                    header.len()
                ));
            }
            let members: Vec<String> = header
                .iter()
                .zip(&cells)
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
                .collect();
            Ok(Row {
                line,
                body: format!("{{{}}}", members.join(",")),
            })
        })
        .collect()
}

/// One row's verdict, reduced to what the page and the CSV show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowResult {
    /// Where the row starts.
    pub line: usize,
    /// Would be processed.
    pub ok: bool,
    /// The code (`None`: a processed voice update).
    pub code: Option<Code>,
    /// The HTTP status.
    pub http_status: u16,
    /// The first problem's field, if any.
    pub field: String,
    /// The first problem's message, or the description.
    pub message: String,
    /// Warnings found.
    pub warnings: usize,
}

/// Validates `rows` as `api`.
pub fn check(api: Api, rows: &[Row], opts: &Options<'_>) -> Vec<RowResult> {
    rows.iter()
        .map(|r| {
            let v = validate(api, r.body.as_bytes(), opts);
            let first = v.errors.first();
            RowResult {
                line: r.line,
                ok: v.ok,
                code: v.code,
                http_status: v.http_status,
                field: first.map(|e| e.field.to_string()).unwrap_or_default(),
                message: first.map_or_else(|| v.description.to_string(), |e| e.message.to_string()),
                warnings: v.warnings.len(),
            }
        })
        .collect()
}

/// How a code shows in the summary.
pub fn code_label(code: Option<Code>) -> String {
    code.map_or_else(|| "processed".to_owned(), |c| c.number().to_string())
}

/// Counts by code, most frequent first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows checked.
    pub total: usize,
    /// Rows that would be processed.
    pub ok: usize,
    /// (code label, description, rows), most rows first.
    pub by_code: Vec<(String, String, usize)>,
}

/// Sums the results.
pub fn summarize(results: &[RowResult]) -> Summary {
    let mut by_code: Vec<(String, String, usize)> = Vec::new();
    for r in results {
        let label = code_label(r.code);
        match by_code.iter_mut().find(|(l, _, _)| *l == label) {
            Some((_, _, n)) => *n += 1,
            None => {
                let desc = r.code.map_or("processed (no code)", Code::description);
                by_code.push((label, desc.to_owned(), 1));
            }
        }
    }
    by_code.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    Summary {
        total: results.len(),
        ok: results.iter().filter(|r| r.ok).count(),
        by_code,
    }
}

/// Every result as CSV, header first.
pub fn results_csv(results: &[RowResult]) -> String {
    let mut out = csv::row(&[
        "line",
        "ok",
        "code",
        "httpStatus",
        "field",
        "message",
        "warnings",
    ]);
    for r in results {
        out.push_str(&csv::row(&[
            r.line.to_string(),
            r.ok.to_string(),
            code_label(r.code),
            r.http_status.to_string(),
            r.field.clone(),
            r.message.clone(),
            r.warnings.to_string(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"responseState":"531","refTransId":"R1","deploymentId":"D"}"#;

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(detect(" [ ]"), Format::JsonArray);
        assert_eq!(detect("\u{feff}{\"a\":1}"), Format::Ndjson);
        assert_eq!(detect("responseState,refTransId"), Format::Csv);
    }

    #[test]
    fn a_json_array_keeps_each_element_exactly() {
        let text = format!("[\n  {OK},\n  {{\"a\":\"x,]}}\\\"\",\"b\":[1,{{}}]}}, 7 ,\"s\"]");
        let b = read(&text).unwrap();
        assert_eq!(b.format, Format::JsonArray);
        assert_eq!(b.api, Some(Api::Notify));
        let bodies: Vec<&str> = b.rows.iter().map(|r| r.body.as_str()).collect();
        assert_eq!(bodies, [OK, r#"{"a":"x,]}\"","b":[1,{}]}"#, "7", "\"s\""]);
        assert_eq!(b.rows[0].line, 2);
        assert!(read("[{\"a\":1},").is_err());
        assert!(read("[]").unwrap().rows.is_empty());
    }

    #[test]
    fn ndjson_skips_blank_lines_and_counts_lines() {
        let b = read(&format!("{OK}\n\n{{\"transaction-id\":\"V\"}}\n")).unwrap();
        assert_eq!(b.format, Format::Ndjson);
        let lines: Vec<usize> = b.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 3]);
    }

    #[test]
    fn csv_rows_become_bodies_with_the_header_names() {
        let text = "responseState,refTransId,deploymentId,additionalInfo\n531,R1,D,\n532,R2,D,\"{\"\"responseCode\"\":\"\"403\"\"}\"\n";
        let b = read(text).unwrap();
        assert_eq!(b.format, Format::Csv);
        assert_eq!(b.api, Some(Api::Notify));
        assert_eq!(b.rows[0].body, OK);
        assert_eq!(
            b.rows[1].body,
            r#"{"responseState":"532","refTransId":"R2","deploymentId":"D","additionalInfo":"{\"responseCode\":\"403\"}"}"#
        );
        assert!(read("a,b\n1,2\n")
            .unwrap_err()
            .contains("none of the contract's fields"));
        assert!(read("refTransId\n1,2\n").unwrap_err().contains("line 2"));
    }

    #[test]
    fn results_are_summarised_by_code_and_written_as_csv() {
        let rows = read(&format!("{OK}\n{{}}\n{{\"responseState\":\"530\",\"refTransId\":\"R\",\"deploymentId\":\"D\"}}\n{{}}\n")).unwrap().rows;
        let results = check(Api::Notify, &rows, &Options::default());
        let s = summarize(&results);
        assert_eq!((s.total, s.ok), (4, 1));
        let counts: Vec<(&str, usize)> =
            s.by_code.iter().map(|(c, _, n)| (c.as_str(), *n)).collect();
        assert_eq!(counts, [("1101", 2), ("1100", 1), ("1108", 1)]);
        let csv = results_csv(&results);
        assert!(csv.starts_with("\"line\",\"ok\",\"code\""), "{csv}");
        assert_eq!(csv.lines().count(), 5);
        assert!(
            csv.lines()
                .nth(2)
                .unwrap()
                .starts_with("\"2\",\"false\",\"1101\",\"500\""),
            "{csv}"
        );
    }

    #[test]
    fn voice_rows_without_a_code_count_as_processed() {
        let body = r#"{"transaction-id":"VOC_1","call-starttime":"2014-08-26 08:00:58.211","call-endtime":"2014-08-26 08:00:59.200","call-source":"1","call-state":"5","drop-code":"2005"}"#;
        let rows = vec![Row {
            line: 1,
            body: body.to_owned(),
        }];
        let s = summarize(&check(Api::Voice, &rows, &Options::default()));
        assert_eq!(s.by_code[0].0, "processed");
        assert_eq!(s.ok, 1);
    }
}
