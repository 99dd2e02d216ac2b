export { isObjectRef, ObjectRef } from './ref.ts';
export { ObjectTable } from './table.ts';
