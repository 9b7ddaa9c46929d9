/**
 * Reads the seed's QA checklist (reStructuredText list-tables and rule sentences) into plain data,
 * so the conformance test can hold src/spec/flows.ts to it. Test code only: the product never
 * parses the seed.
 */

export interface SeedSection {
  readonly superoffice: string;
  readonly zendesk: string;
  readonly createRule: 'always' | 'unless-merged' | 'when-on-synced-ticket';
  readonly mergeKeys: readonly { superoffice: string; zendesk: string }[];
  readonly properties: readonly { superoffice: string; zendesk: string; dataType: string }[];
}

/** Splits `.. list-table::` blocks into rows of cells (header row dropped). */
function readListTables(text: string): string[][][] {
  const tables: string[][][] = [];
  const blocks = text.split('.. list-table::').slice(1);
  for (const block of blocks) {
    const rows: string[][] = [];
    for (const line of block.split('\n')) {
      const rowStart = line.match(/^ {3}\* - (.*)$/);
      const cell = line.match(/^ {5}- (.*)$/);
      if (rowStart) rows.push([(rowStart[1] ?? '').trim()]);
      else if (cell) rows.at(-1)?.push((cell[1] ?? '').trim());
      else if (rows.length > 0 && line.trim() !== '' && !line.startsWith(' ')) break;
    }
    tables.push(rows.slice(1));
  }
  return tables;
}

function unquote(value: string): string {
  return value.replace(/^"(.*)"$/, '$1');
}

export function readSeed(text: string): SeedSection[] {
  const headings = [...text.matchAll(/^SuperOffice (\w+) to +(\w+)\n-+\n/gm)];
  return headings.map((heading, index) => {
    const start = (heading.index ?? 0) + heading[0].length;
    const end = headings[index + 1]?.index ?? text.length;
    const body = text.slice(start, end);
    const superoffice = heading[1] ?? '';
    const zendesk = heading[2] ?? '';
    const tables = readListTables(body);
    const hasMerge = /will merge with a/.test(body);
    const createRule =
      /will be created from a SuperOffice \w+ if it is connected to a SuperOffice Ticket that is synchronized/.test(
        body,
      )
        ? 'when-on-synced-ticket'
        : /If no matching .* is found, a new .* will be created/.test(body)
          ? 'unless-merged'
          : /Every SuperOffice \w+ will be synchronized/.test(body)
            ? 'always'
            : undefined;
    if (createRule === undefined) throw new Error(`no create rule found for SuperOffice ${superoffice}`);
    const mergeTable = hasMerge ? (tables[0] ?? []) : [];
    const propertyTable = tables[hasMerge ? 1 : 0] ?? [];
    return {
      superoffice,
      zendesk,
      createRule,
      mergeKeys: mergeTable.map(([so = '', zd = '']) => ({ superoffice: so, zendesk: zd })),
      properties: propertyTable.map(([so = '', zd = '', type = '']) => ({
        superoffice: so,
        zendesk: zd,
        dataType: unquote(type),
      })),
    };
  });
}
