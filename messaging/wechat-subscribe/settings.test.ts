import { describe, expect, it } from 'vitest';
import { createWechatSubscribeProvider, wechatSubscribe, wechatSubscribeSettingsFrom } from './index.js';

const complete = {
  MESSAGING_WECHAT_SUBSCRIBE_APP_ID: 'wx4f4bc4dec97d474b',
  MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET: 'd0f5e1c3a2b4c6d8e0f1a3b5c7d9e1f3',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    wechatSubscribeSettingsFrom(env);
  } catch (error) {
    const [head, ...problems] = (error as Error).message.split('\n  - ');
    expect(head).toBe('Invalid WeChat subscribe-message settings:');
    return problems;
  }
  throw new Error('expected the settings to be refused');
}

describe('wechatSubscribeSettingsFrom', () => {
  it("reads complete settings, with WeChat's API URL and a 5 s timeout by default", () => {
    expect(wechatSubscribeSettingsFrom(complete)).toEqual({
      baseUrl: 'https://api.weixin.qq.com',
      appId: 'wx4f4bc4dec97d474b',
      appSecret: 'd0f5e1c3a2b4c6d8e0f1a3b5c7d9e1f3',
      timeoutMs: 5000,
    });
  });

  it('takes another API URL (without its trailing slash) and timeout', () => {
    expect(
      wechatSubscribeSettingsFrom({ ...complete, MESSAGING_WECHAT_SUBSCRIBE_API_URL: 'http://127.0.0.1:4100/', MESSAGING_WECHAT_SUBSCRIBE_TIMEOUT_MS: '800' }),
    ).toMatchObject({ baseUrl: 'http://127.0.0.1:4100', timeoutMs: 800 });
  });

  it('names every missing variable at once, with what it holds', () => {
    expect(problemsOf({ MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET: '  ' })).toEqual([
      "set MESSAGING_WECHAT_SUBSCRIBE_APP_ID (the mini program's appid)",
      "set MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET (the mini program's AppSecret)",
    ]);
  });

  it('refuses what is wrong, each problem named', () => {
    expect(problemsOf({ ...complete, MESSAGING_WECHAT_SUBSCRIBE_API_URL: 'api.weixin.qq.com', MESSAGING_WECHAT_SUBSCRIBE_TIMEOUT_MS: '5s' })).toEqual([
      'MESSAGING_WECHAT_SUBSCRIBE_API_URL must be an absolute http(s) URL (the API base URL (default https://api.weixin.qq.com))',
      'MESSAGING_WECHAT_SUBSCRIBE_TIMEOUT_MS must be a positive integer of milliseconds (got "5s")',
    ]);
  });

  it('is what the adapter and the factory read: they throw the same error at once, before any send', () => {
    expect(() => wechatSubscribe.create({})).toThrow(/set MESSAGING_WECHAT_SUBSCRIBE_APP_ID/);
    expect(() => createWechatSubscribeProvider({ MESSAGING_WECHAT_SUBSCRIBE_APP_ID: 'wx1' })).toThrow(/set MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET/);
  });

  it('names the adapter and its variables for the composition root', () => {
    expect(wechatSubscribe.name).toBe('wechat-subscribe');
    expect(wechatSubscribe.envPrefix).toBe('MESSAGING_WECHAT_SUBSCRIBE_');
    expect(wechatSubscribe.create(complete).name).toBe('wechat-subscribe');
  });
});
