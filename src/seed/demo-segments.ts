import type { EntityManager } from '@mikro-orm/postgresql';
import { installSegmentConfig, type SegmentConfigInput } from '../modules/segment/index.js';

/**
 * The demo segments (README, "Segments"): RFM over 365 days scored by quintiles of the active
 * buyers, seven named RFM segments by precedence (the last takes members with no purchase in the
 * window, so every member is in exactly one), lifecycle stages NEW (joined within 30 days),
 * ACTIVE, DORMANT (nothing for 90 days) and CHURNED (nothing for 180), and HIGH_VALUE from
 * ¥5,000 net over the window. Computed daily at 03:00 program time. Configuration, not code.
 */
export const DEMO_SEGMENT_CONFIG: SegmentConfigInput = {
  schedule: { hour: 3, minute: 0 },
  rfm: {
    windowDays: 365,
    scoring: { method: 'QUINTILES' },
    segments: [
      {
        code: 'CHAMPIONS',
        name: { en: 'Champions', 'zh-CN': '冠军客户' },
        description: { en: 'Bought recently, often and the most', 'zh-CN': '最近购买、购买频繁且消费最多' },
        when: [{ r: [4, 5], f: [4, 5], m: [4, 5] }],
      },
      {
        code: 'LOYAL',
        name: { en: 'Loyal', 'zh-CN': '忠诚客户' },
        description: { en: 'Buy often, and not long ago', 'zh-CN': '经常购买，且近期有购买' },
        when: [{ r: [3, 5], f: [3, 5] }],
      },
      {
        code: 'NEW_CUSTOMERS',
        name: { en: 'New customers', 'zh-CN': '新客户' },
        description: { en: 'Bought recently, and rarely so far', 'zh-CN': '最近购买，购买次数尚少' },
        when: [{ r: [4, 5], f: [1, 1] }],
      },
      {
        code: 'POTENTIAL',
        name: { en: 'Potential', 'zh-CN': '潜力客户' },
        description: { en: 'Recent buyers who could buy more', 'zh-CN': '近期有购买，仍有提升空间' },
        when: [{ r: [3, 5] }],
      },
      {
        code: 'AT_RISK',
        name: { en: 'At risk', 'zh-CN': '流失风险客户' },
        description: { en: 'Bought often or much, but not lately', 'zh-CN': '曾经购买频繁或消费较多，但近期没有购买' },
        when: [
          { r: [1, 2], f: [3, 5] },
          { r: [1, 2], m: [3, 5] },
        ],
      },
      {
        code: 'HIBERNATING',
        name: { en: 'Hibernating', 'zh-CN': '沉睡客户' },
        description: { en: 'Bought little, long ago', 'zh-CN': '很久以前有少量购买' },
        when: [{ r: [1, 2] }],
      },
      {
        code: 'NO_PURCHASES',
        name: { en: 'No purchases', 'zh-CN': '未购买会员' },
        description: { en: 'No purchase in the last 365 days (or every one refunded)', 'zh-CN': '近 365 天没有购买（或已全部退款）' },
        when: [{ buyer: false }],
      },
    ],
  },
  lifecycle: {
    activityTypes: ['PURCHASE', 'CHECK_IN', 'REVIEW', 'SHARE', 'PROFILE_COMPLETED'],
    newDays: 30,
    dormantAfterDays: 90,
    churnedAfterDays: 180,
    stages: {
      NEW: { name: { en: 'New', 'zh-CN': '新会员' }, description: { en: 'Joined within the last 30 days', 'zh-CN': '近 30 天内加入' } },
      ACTIVE: { name: { en: 'Active', 'zh-CN': '活跃' }, description: { en: 'Did something within the last 90 days', 'zh-CN': '近 90 天内有活动' } },
      DORMANT: { name: { en: 'Dormant', 'zh-CN': '休眠' }, description: { en: 'Nothing for 90 days or more', 'zh-CN': '90 天以上没有活动' } },
      CHURNED: { name: { en: 'Churned', 'zh-CN': '流失' }, description: { en: 'Nothing for 180 days or more', 'zh-CN': '180 天以上没有活动' } },
    },
  },
  value: [
    {
      code: 'HIGH_VALUE',
      name: { en: 'High value', 'zh-CN': '高价值会员' },
      description: { en: 'Spent ¥5,000 or more over the last 365 days, net of refunds', 'zh-CN': '近 365 天净消费（扣除退款）满 ¥5,000' },
      monetaryAtLeast: 500_000,
    },
  ],
};

/** Installs the demo segments into a database that has no segment configuration (one changed since is left alone). */
export async function seedDemoSegments(em: EntityManager): Promise<boolean> {
  return em.transactional((tx) => installSegmentConfig(tx, DEMO_SEGMENT_CONFIG));
}
