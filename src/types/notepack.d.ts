declare module "notepack.io" {
  export function encode(value: unknown): Buffer;
  export function decode(buffer: Buffer | ArrayBuffer | Uint8Array): any;
}
