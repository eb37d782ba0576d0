/**
 * Polyfills the embedded engine needs on Node 20. Imported first by local/engine/index.ts.
 *
 * aws-local-stepfunctions@3 declares Node >= 22 because it calls `Promise.withResolvers`
 * (ES2024), which Node 20 lacks. The polyfill follows the specification
 * (https://tc39.es/ecma262/#sec-promise.withResolvers): a non-enumerable, writable, configurable
 * static method of length 0 that builds the promise with `this` as the constructor (so subclasses
 * get instances of themselves) and throws a TypeError when `this` is not a constructor.
 * It installs nothing when the runtime already has the method.
 */

interface PromiseWithResolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseConstructorLike = new <T>(
  executor: (
    resolve: (value: T | PromiseLike<T>) => void,
    reject: (reason?: unknown) => void,
  ) => void,
) => Promise<T>;

const withResolversHolder = Promise as unknown as { withResolvers?: unknown };

if (typeof withResolversHolder.withResolvers !== 'function') {
  const withResolvers = function withResolvers<T>(this: unknown): PromiseWithResolvers<T> {
    if (typeof this !== 'function') {
      throw new TypeError('Promise.withResolvers called on a non-constructor');
    }
    let resolve!: PromiseWithResolvers<T>['resolve'];
    let reject!: PromiseWithResolvers<T>['reject'];
    const promise = new (this as PromiseConstructorLike)<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  Object.defineProperty(Promise, 'withResolvers', {
    value: withResolvers,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

export {};
