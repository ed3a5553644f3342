use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use async_trait::async_trait;
use serde::Deserialize;

use crate::plugin::Directory;
use crate::{Department, DepartmentId, Error, Goal, GoalId, Period, Person, PersonId, Result};

/// A directory from a fixed list of people and departments, built in code or read from CSV.
///
/// # CSV
///
/// A header line, then one person a line: `id,name,email,manager_id,department,active`.
///
/// - `id` and `manager_id`: a UUID is taken as it is; any other text (`emp-1042`) becomes a
///   stable id with [`PersonId::from_key`]. An empty `manager_id` means no manager.
/// - `department`: a name; departments are made from the names used, with
///   [`DepartmentId::from_key`]. A department's head is its one member whose manager is outside
///   the department (or who has none); when there are several such members it has no head
///   ([`with_departments`](Self::with_departments) sets heads explicitly).
/// - `active`: `true`/`false`, `yes`/`no` or `1`/`0`; empty means active.
/// - an optional `hired` column holds ISO hire dates (eligibility rules read them).
///
/// Malformed lines are refused with [`Error::Invalid`] naming the line.
///
/// # Goals
///
/// Goals come from code ([`with_goals`](Self::with_goals)) or a second CSV
/// ([`with_goals_csv_str`](Self::with_goals_csv_str)): `id,owner_id,title,progress,weight,start,end`
/// with ids as above, progress 0–100, a weight (empty: 1) and ISO dates.
#[derive(Debug, Clone, Default)]
pub struct StaticDirectory {
    people: Vec<Person>,
    /// Each person's place in `people`, by id (the first, should an id repeat).
    index: std::collections::HashMap<PersonId, usize>,
    departments: Vec<Department>,
    goals: Vec<Goal>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct GoalRow {
    id: String,
    owner_id: String,
    title: String,
    progress: String,
    #[serde(default)]
    weight: Option<String>,
    start: String,
    end: String,
}

/// Reads the value of `column`, or says what is wrong with it, naming the column and value.
fn parse<T: std::str::FromStr>(column: &str, value: &str, expected: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("`{column}` is `{value}`, expected {expected}"))
}

const A_DATE: &str = "a date like 2026-01-31";

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Row {
    id: String,
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    manager_id: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    hired: Option<String>,
}

fn person_id(text: &str) -> PersonId {
    StaticDirectory::person_id(text)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl StaticDirectory {
    /// A directory of these people and departments.
    #[must_use]
    pub fn new(people: Vec<Person>, departments: Vec<Department>) -> Self {
        Self {
            index: index_of(&people),
            people,
            departments,
            goals: Vec::new(),
        }
    }

    /// Replaces the goals.
    #[must_use]
    pub fn with_goals(mut self, goals: Vec<Goal>) -> Self {
        self.goals = goals;
        self
    }

    /// The id the CSV reader gives a person's key: a UUID is taken as it is, any other text
    /// (`emp-1042`) becomes [`PersonId::from_key`] of it. Hosts map their own employee keys
    /// the same way to name the people of an imported org in commands.
    ///
    /// ```
    /// use appraise::PersonId;
    /// use appraise::memory::StaticDirectory;
    /// assert_eq!(StaticDirectory::person_id("emp-1042"), PersonId::from_key("emp-1042"));
    /// let uuid = "6a1c93f0-5e2b-4f7d-9c4e-2d8b1a7f0c35";
    /// assert_eq!(StaticDirectory::person_id(uuid).to_string(), uuid);
    /// ```
    #[must_use]
    pub fn person_id(key: &str) -> PersonId {
        key.parse::<uuid::Uuid>()
            .map_or_else(|_| PersonId::from_key(key), PersonId::from_uuid)
    }

    /// Replaces the goals with those of a goals CSV (see the type docs).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the line of a malformed row.
    pub fn with_goals_csv_str(self, text: &str) -> Result<Self> {
        self.with_goals_csv_str_limited(text, CsvLimits::default())
    }

    /// [`with_goals_csv_str`](Self::with_goals_csv_str) within these limits.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the line of a malformed row, or the limit passed.
    pub fn with_goals_csv_str_limited(mut self, text: &str, limits: CsvLimits) -> Result<Self> {
        let mut goals = Vec::new();
        read_rows(
            text.as_bytes(),
            limits,
            "goals line",
            |record, headers, line| {
                let row: GoalRow = record.deserialize(Some(headers)).map_err(|e| {
                    Error::invalid(
                        format!("goals line {line}"),
                        row_reason(&e, headers, record),
                    )
                })?;
                let at = || format!("goals line {line}");
                let progress: u8 = parse("progress", &row.progress, "a whole number 0–100")
                    .map_err(|r| Error::invalid(at(), r))?;
                let weight: Option<u8> = non_empty(row.weight)
                    .map(|w| parse("weight", &w, "a whole number 0–255"))
                    .transpose()
                    .map_err(|r| Error::invalid(at(), r))?;
                let start: chrono::NaiveDate =
                    parse("start", &row.start, A_DATE).map_err(|r| Error::invalid(at(), r))?;
                let end: chrono::NaiveDate =
                    parse("end", &row.end, A_DATE).map_err(|r| Error::invalid(at(), r))?;
                if progress > 100 {
                    return Err(Error::invalid(
                        at(),
                        format!("`progress` is {progress}, above 100"),
                    ));
                }
                if start > end {
                    return Err(Error::invalid(
                        format!("goals line {line}"),
                        "`start` is after `end`",
                    ));
                }
                goals.push(Goal {
                    id: row
                        .id
                        .parse::<uuid::Uuid>()
                        .map_or_else(|_| GoalId::from_key(&row.id), GoalId::from_uuid),
                    owner: person_id(&row.owner_id),
                    title: row.title,
                    progress,
                    weight: weight.unwrap_or(1),
                    start,
                    end,
                });
                Ok(())
            },
        )?;
        self.goals = goals;
        Ok(self)
    }

    /// Replaces the goals with those of a goals CSV file.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the file cannot be read; [`Error::Invalid`] naming a bad line.
    pub fn with_goals_csv_path(self, path: impl AsRef<Path>) -> Result<Self> {
        let text = std::fs::read_to_string(path.as_ref()).map_err(|e| Error::Backend {
            source: Box::new(e),
        })?;
        self.with_goals_csv_str(&text)
    }

    /// Replaces the departments (to set heads explicitly).
    #[must_use]
    pub fn with_departments(mut self, departments: Vec<Department>) -> Self {
        self.departments = departments;
        self
    }

    /// The people.
    #[must_use]
    pub fn people_list(&self) -> &[Person] {
        &self.people
    }

    /// Reads the CSV file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the file cannot be read; [`Error::Invalid`] naming the line of a
    /// malformed row.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        let file = std::fs::File::open(path.as_ref()).map_err(|e| Error::Backend {
            source: Box::new(e),
        })?;
        Self::from_csv_reader(file)
    }

    /// Reads CSV text.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the line of a malformed row.
    pub fn from_csv_str(text: &str) -> Result<Self> {
        Self::from_csv_reader(text.as_bytes())
    }

    /// Reads CSV from any reader.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the line of a malformed row.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        Self::from_csv_reader_limited(reader, CsvLimits::default())
    }

    /// [`from_csv_reader`](Self::from_csv_reader) within these limits.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the line of a malformed row, or the limit passed.
    pub fn from_csv_reader_limited(reader: impl Read, limits: CsvLimits) -> Result<Self> {
        let mut people = Vec::new();
        let mut names: Vec<(DepartmentId, String)> = Vec::new();
        read_rows(reader, limits, "line", |record, headers, line| {
            let row: Row = record.deserialize(Some(headers)).map_err(|e| {
                Error::invalid(format!("line {line}"), row_reason(&e, headers, record))
            })?;
            if row.id.is_empty() {
                return Err(Error::invalid(format!("line {line}"), "`id` is empty"));
            }
            if row.name.is_empty() {
                return Err(Error::invalid(format!("line {line}"), "`name` is empty"));
            }
            let active = match non_empty(row.active)
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("true" | "yes" | "1") => true,
                Some("false" | "no" | "0") => false,
                Some(other) => {
                    return Err(Error::invalid(
                        format!("line {line}"),
                        format!("`active` is `{other}`, expected true or false"),
                    ));
                }
            };
            let mut person = Person::new(person_id(&row.id), row.name).with_active(active);
            if let Some(m) = non_empty(row.manager_id) {
                person = person.with_manager(person_id(&m));
            }
            if let Some(d) = non_empty(row.department) {
                let id = DepartmentId::from_key(&d);
                if !names.iter().any(|(known, _)| *known == id) {
                    names.push((id, d));
                }
                person = person.with_department(id);
            }
            if let Some(e) = non_empty(row.email) {
                person = person.with_email(e);
            }
            if let Some(h) = non_empty(row.hired) {
                let hired = parse("hired", &h, A_DATE)
                    .map_err(|r| Error::invalid(format!("line {line}"), r))?;
                person = person.with_hired(hired);
            }
            people.push(person);
            Ok(())
        })?;
        let departments = infer_departments(&people, names);
        Ok(Self::new(people, departments))
    }
}

/// How much a CSV import takes: rows, and characters in one field. The defaults hold any real
/// company and refuse a file meant to exhaust memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvLimits {
    /// The most data rows (default 1,000,000).
    pub max_rows: usize,
    /// The most characters in one field (default 1,000).
    pub max_field_len: usize,
}

impl Default for CsvLimits {
    fn default() -> Self {
        Self {
            max_rows: 1_000_000,
            max_field_len: 1_000,
        }
    }
}

/// Reads the header, then hands each data row with the header and its line number to `each`,
/// refusing a row past `limits.max_rows` or a field longer than `limits.max_field_len`, naming
/// the line (`what` and its number) and the column.
fn read_rows(
    reader: impl Read,
    limits: CsvLimits,
    what: &str,
    mut each: impl FnMut(&csv::StringRecord, &csv::StringRecord, u64) -> Result<()>,
) -> Result<()> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let bad = |e: &csv::Error| {
        let line = e.position().map_or(0, csv::Position::line);
        Error::invalid(format!("{what} {line}"), csv_reason(e))
    };
    let headers = csv.headers().map_err(|e| bad(&e))?.clone();
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    while csv.read_record(&mut record).map_err(|e| bad(&e))? {
        let line = record.position().map_or(0, csv::Position::line);
        rows += 1;
        if rows > limits.max_rows {
            return Err(Error::invalid(
                format!("{what} {line}"),
                format!("more than {} rows", limits.max_rows),
            ));
        }
        for (i, field) in record.iter().enumerate() {
            let len = field.chars().count();
            if len > limits.max_field_len {
                let column = headers.get(i).unwrap_or("?");
                let start: String = field.chars().take(20).collect();
                return Err(Error::invalid(
                    format!("{what} {line}"),
                    format!(
                        "`{column}` is {len} characters (`{start}…`); a field holds at most {}",
                        limits.max_field_len
                    ),
                ));
            }
        }
        each(&record, &headers, line)?;
    }
    Ok(())
}

fn index_of(people: &[Person]) -> std::collections::HashMap<PersonId, usize> {
    let mut index = std::collections::HashMap::with_capacity(people.len());
    for (i, p) in people.iter().enumerate() {
        index.entry(p.id).or_insert(i);
    }
    index
}

/// What is wrong with a row that does not read: the column and its value when the reader says
/// which field, then the reader's reason.
fn row_reason(e: &csv::Error, headers: &csv::StringRecord, record: &csv::StringRecord) -> String {
    if let csv::ErrorKind::Deserialize { err, .. } = e.kind()
        && let Some(i) = err.field().and_then(|i| usize::try_from(i).ok())
    {
        let column = headers.get(i).unwrap_or("?");
        let value = record.get(i).unwrap_or("");
        return format!("`{column}` is `{value}`: {}", err.kind());
    }
    csv_reason(e)
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
        _ => e.to_string(),
    }
}

/// Departments from the names used, in first-use order, each headed by its one member whose
/// manager is outside it.
fn infer_departments(people: &[Person], names: Vec<(DepartmentId, String)>) -> Vec<Department> {
    let dept_of: std::collections::HashMap<PersonId, DepartmentId> = people
        .iter()
        .filter_map(|p| p.department.map(|d| (p.id, d)))
        .collect();
    let mut tops: BTreeMap<DepartmentId, Vec<PersonId>> = BTreeMap::new();
    for p in people {
        let Some(d) = p.department else { continue };
        if p.manager.and_then(|m| dept_of.get(&m)) != Some(&d) {
            tops.entry(d).or_default().push(p.id);
        }
    }
    names
        .into_iter()
        .map(|(id, name)| {
            let dept = Department::new(id, name);
            match tops.get(&id).map(Vec::as_slice) {
                Some([head]) => dept.with_head(*head),
                _ => dept,
            }
        })
        .collect()
}

#[async_trait]
impl Directory for StaticDirectory {
    async fn people(&self) -> Result<Vec<Person>> {
        Ok(self.people.clone())
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        Ok(self.departments.clone())
    }

    async fn people_with_ids(&self, ids: &[PersonId]) -> Result<Vec<Person>> {
        Ok(ids
            .iter()
            .filter_map(|id| self.index.get(id).and_then(|&i| self.people.get(i)))
            .cloned()
            .collect())
    }

    async fn goals(&self, period: Period) -> Result<Vec<Goal>> {
        Ok(self
            .goals
            .iter()
            .filter(|g| g.overlaps(&period))
            .cloned()
            .collect())
    }
}
