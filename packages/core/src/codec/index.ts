export { decode, ExtensionType, encode, registerExtension } from './codec.ts';
export { RemoteError, taskErrorFromWire, toWireError, type WireError } from './wire-error.ts';
