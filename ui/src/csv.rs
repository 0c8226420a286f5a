//! CSV in and out (RFC 4180): reading batch files, writing downloads with formula cells
//! defused so a spreadsheet never runs partner-supplied text.

use std::fmt;

/// A CSV file that cannot be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line where the problem starts.
    pub line: usize,
    /// What is wrong.
    pub message: &'static str,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CSV line {}: {}", self.line, self.message)
    }
}

/// One record and the line it starts on.
pub type Record = (usize, Vec<String>);

/// Reads every record; quoted cells may hold commas, quotes (`""`) and line breaks. A leading
/// byte-order mark is skipped; blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push(c);
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(CsvError {
                    line,
                    message: "a quote inside an unquoted cell (quote the whole cell)",
                })
            }
            ',' => {
                record.push(std::mem::take(&mut cell));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut cell));
                was_quoted = false;
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((start_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start_line = line;
            }
            _ if was_quoted => {
                return Err(CsvError {
                    line,
                    message: "text after a closing quote",
                })
            }
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(CsvError {
            line: start_line,
            message: "a quoted cell is never closed",
        });
    }
    if !cell.is_empty() || !record.is_empty() || was_quoted {
        record.push(cell);
        records.push((start_line, record));
    }
    Ok(records)
}

pub use txstate_core::csv::{cell, row};

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn reads_quotes_commas_and_line_breaks() {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",\n\n3,,z";
        assert_eq!(
            cells(text),
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x, y", "say \"hi\""],
                vec!["2", "two\nlines", ""],
                vec!["3", "", "z"],
            ]
        );
        let lines: Vec<usize> = parse(text).unwrap().iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 2, 3, 6]);
    }

    #[test]
    fn byte_order_mark_and_trailing_newline() {
        assert_eq!(cells("\u{feff}a,b\n"), vec![vec!["a", "b"]]);
        assert_eq!(cells("\"\""), vec![vec![""]]);
        assert!(cells("").is_empty());
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(parse("a\nb\"c").unwrap_err().line, 2);
        assert_eq!(parse("a\n\"open").unwrap_err().line, 2);
        assert_eq!(parse("\"x\"y").unwrap_err().line, 1);
    }

    #[test]
    fn written_cells_read_back_as_text() {
        let back = cells(&row(&["=HYPERLINK(\"x\")", "plain"]));
        assert_eq!(back, vec![vec!["'=HYPERLINK(\"x\")", "plain"]]);
    }
}
