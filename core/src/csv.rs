//! Writing CSV (RFC 4180) that spreadsheets open safely: every cell quoted, and a cell that a
//! spreadsheet would run as a formula defused. The server's report download and the UI's
//! exports both write through here, so the rule has one home.

/// One cell, quoted, with a leading `=`, `+`, `-`, `@`, tab or carriage return defused by a `'`
/// so a spreadsheet shows it as text.
pub fn cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// One CSV line (CRLF-terminated) of defused cells.
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells
        .iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_cells_are_quoted_and_defused() {
        assert_eq!(row(&["1101", "a \"b\""]), "\"1101\",\"a \"\"b\"\"\"\r\n");
        for lead in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(lead).starts_with("\"'"), "{lead}");
        }
        assert_eq!(cell("531"), "\"531\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
