/** The test photos' flat colours (portable: the Node photo server and the Workers outbound service both serve them). */
export const PHOTO_COLORS = {
  red: [220, 30, 30],
  green: [30, 170, 60],
  blue: [30, 70, 220],
  orange: [245, 140, 20],
  purple: [140, 40, 200],
  teal: [20, 160, 160],
} as const satisfies Record<string, readonly [number, number, number]>;
export type PhotoColor = keyof typeof PHOTO_COLORS;
