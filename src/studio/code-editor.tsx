import { html } from '@codemirror/lang-html';
import { type Diagnostic, forceLinting, linter, lintGutter } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { jsonSchema } from 'codemirror-json-schema';
import { useEffect, useRef } from 'preact/hooks';
import blockJsonSchema from '../../templates/schema/block.json' with { type: 'json' };

/**
 * CodeMirror 6 for the block JSON (validated as you type against the block
 * JSON Schema that `npm run schema` generates, with completion and hover
 * docs from it) and for templates (HTML with Liquid, with the server's
 * problems shown at their line and column).
 */
export interface LineProblem {
  line: number;
  column: number;
  message: string;
}

interface Props {
  value: string;
  onChange: (value: string) => void;
  label: string;
  mode: 'block' | 'template';
  /** Template problems from the server, at line and column. */
  problems?: LineProblem[];
  readOnly?: boolean;
}

const theme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid var(--line)', borderRadius: '8px', background: '#fff' },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '1px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', minHeight: '320px', maxHeight: '70vh' },
  '.cm-gutters': { background: '#f8fafc', borderRight: '1px solid var(--line)' },
});

export function CodeEditor(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const problems = useRef<LineProblem[]>([]);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  problems.current = props.problems ?? [];

  useEffect(() => {
    const language: Extension =
      props.mode === 'block'
        ? jsonSchema(blockJsonSchema as never)
        : [
            html(),
            linter(
              (v): Diagnostic[] =>
                problems.current.map((p) => {
                  const line = v.state.doc.line(Math.min(Math.max(1, p.line), v.state.doc.lines));
                  const from = Math.min(line.from + Math.max(0, p.column - 1), line.to);
                  return { from, to: Math.min(from + 1, line.to), severity: 'error', message: p.message };
                }),
              { delay: 100 },
            ),
          ];
    const editor = new EditorView({
      parent: host.current as HTMLElement,
      state: EditorState.create({
        doc: props.value,
        extensions: [
          basicSetup,
          language,
          lintGutter(),
          theme,
          EditorState.readOnly.of(props.readOnly ?? false),
          // An explicit tab stop: axe counts a contenteditable without one as nothing to focus inside the scroller.
          EditorView.contentAttributes.of({ 'aria-label': props.label, tabindex: '0' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
  }, [props.mode]);

  // A change made elsewhere (the form, a rollback) replaces the text; the cursor stays where it can.
  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() === props.value) return;
    const head = Math.min(editor.state.selection.main.head, props.value.length);
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: props.value }, selection: { anchor: head } });
  }, [props.value]);

  // New server problems: ask the linter to run again.
  useEffect(() => {
    const editor = view.current;
    if (editor && props.mode === 'template') forceLinting(editor);
  }, [props.problems]);

  return <div ref={host} class="code" />;
}
