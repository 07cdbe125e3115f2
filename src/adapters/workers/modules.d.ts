// Module types for what wrangler.toml's rules bundle: .wasm as compiled modules, .ttf as bytes.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.ttf' {
  const data: ArrayBuffer;
  export default data;
}
// The core names BlobPart (a DOM type) when it builds a Blob; the Workers types do not declare it.
type BlobPart = ArrayBuffer | ArrayBufferView | Blob | string;
