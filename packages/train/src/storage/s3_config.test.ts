import { describe, expect, it } from 'vitest';
import { resolveS3Config } from './s3_config.ts';

describe('s3 config', () => {
  it('s3 config - reads the standard AWS variables', () => {
    const { client } = resolveS3Config(undefined, {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_DEFAULT_REGION: 'eu-central-1',
    });
    expect(client).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-central-1',
      forcePathStyle: true,
    });
    expect(client.credentials).toBeUndefined();
  });

  it('s3 config - the S3-specific endpoint and AWS_REGION win over the generic ones', () => {
    const { client } = resolveS3Config(undefined, {
      AWS_ENDPOINT_URL: 'http://generic:1',
      AWS_ENDPOINT_URL_S3: 'http://s3-only:2',
      AWS_REGION: 'ap-south-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_S3_FORCE_PATH_STYLE: 'false',
    });
    expect(client).toMatchObject({
      endpoint: 'http://s3-only:2',
      region: 'ap-south-1',
      forcePathStyle: false,
    });
  });

  it('s3 config - options win over the environment; no endpoint means virtual-host style AWS', () => {
    const resolved = resolveS3Config(
      {
        region: 'us-west-2',
        accessKeyId: 'id',
        secretAccessKey: 'secret',
        partSizeBytes: 16 * 1024 * 1024,
        partConcurrency: 8,
      },
      { AWS_REGION: 'eu-west-1' },
    );
    expect(resolved.client).toMatchObject({
      region: 'us-west-2',
      forcePathStyle: false,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    });
    expect(resolved.client.endpoint).toBeUndefined();
    expect(resolved).toMatchObject({ partSizeBytes: 16 * 1024 * 1024, partConcurrency: 8 });
    expect(resolveS3Config(undefined, {}).client.region).toBe('us-east-1');
  });

  it('s3 config - rejects unknown and invalid options', () => {
    expect(() => resolveS3Config({ endpoint: 'not a url' }, {})).toThrow(/endpoint/);
    expect(() => resolveS3Config({ bucket: 'x' } as never, {})).toThrow(/bucket/);
  });
});
