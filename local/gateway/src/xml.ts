import { SaxesParser } from 'saxes';

/** One element of a policy document, with where it starts so every error can name file and line. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Concatenated text and CDATA directly inside the element (comments excluded), untrimmed. */
  readonly text: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A policy problem at a known place: the gateway refuses to start with it. */
export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'PolicyError';
  }

  static at(element: Pick<XmlElement, 'file' | 'line' | 'column'>, detail: string): PolicyError {
    return new PolicyError(element.file, element.line, element.column, detail);
  }
}

interface MutableElement {
  name: string;
  attributes: Map<string, string>;
  children: MutableElement[];
  text: string;
  file: string;
  line: number;
  column: number;
}

/**
 * Parses one XML document strictly (saxes is a conforming, non-validating parser: unclosed tags,
 * bad entities and duplicate attributes are errors) into a small element tree. Processing
 * instructions other than the XML declaration and DOCTYPEs are rejected: APIM policy documents
 * have neither, and a DOCTYPE is how entity-expansion attacks get in.
 */
export function parseXml(source: string, file: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: true, fileName: file });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  let failure: PolicyError | undefined;
  let tagLine = 1;
  let tagColumn = 1;

  const fail = (line: number, column: number, detail: string) => {
    failure ??= new PolicyError(file, line, column, detail);
  };

  parser.on('error', (error) => {
    fail(parser.line, parser.column + 1, `malformed XML: ${stripPosition(error.message)}`);
  });
  parser.on('doctype', () =>
    fail(parser.line, parser.column + 1, 'a DOCTYPE is not allowed in a policy file'),
  );
  parser.on('processinginstruction', (pi) =>
    fail(parser.line, parser.column + 1, `processing instruction <?${pi.target}?> is not allowed`),
  );
  parser.on('opentagstart', () => {
    // saxes has consumed "<name" when this fires; the tag began a little earlier on this line.
    tagLine = parser.line;
    tagColumn = parser.column;
  });
  parser.on('opentag', (tag) => {
    const element: MutableElement = {
      name: tag.name,
      attributes: new Map(Object.entries(tag.attributes)),
      children: [],
      text: '',
      file,
      line: tagLine,
      column: Math.max(1, tagColumn - tag.name.length),
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (text: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    parser.write(source).close();
  } catch (error) {
    // saxes throws after emitting 'error' when no handler swallows it; the handler recorded it.
    if (!failure)
      fail(parser.line, parser.column + 1, `malformed XML: ${stripPosition((error as Error).message)}`);
  }
  if (failure) throw failure;
  if (!root) throw new PolicyError(file, 1, 1, 'the file has no root element');
  return root;
}

function stripPosition(message: string): string {
  // saxes prefixes messages with "file:line:column: "; we add our own, uniformly.
  return message.replace(/^.*?:\d+:\d+: /, '');
}
