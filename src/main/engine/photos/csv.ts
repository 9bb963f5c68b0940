// RFC 4180 CSV, just what the results file needs: quoting on write, and a parser that tells complete
// records (ended by a newline outside quotes) from a torn last one left by a killed run.

export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

export function csvLine(values: string[]): string {
  return values.map(csvField).join(',') + '\n'
}

export interface ParsedCsv {
  /** Complete records only. */
  records: string[][]
  /** Characters of the text up to the end of the last complete record (its newline included). */
  completeLength: number
}

export function parseCsv(text: string): ParsedCsv {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  let completeLength = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c !== '"') field += c
      else if (text[i + 1] === '"') {
        field += '"'
        i++
      } else quoted = false
    } else if (c === '"') {
      quoted = true
    } else if (c === ',') {
      record.push(field)
      field = ''
    } else if (c === '\n') {
      record.push(field.endsWith('\r') ? field.slice(0, -1) : field)
      records.push(record)
      record = []
      field = ''
      completeLength = i + 1
    } else {
      field += c
    }
  }
  return { records, completeLength }
}
