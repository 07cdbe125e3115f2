import type { DemoProduct } from './catalog.ts';

/**
 * Product photos for the demo shop, drawn as SVG and rasterized by the
 * platform's rasterizer: flat illustrations on a soft studio background.
 */
const SIZE = 600;

function shade(hex: string, amount: number): string {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(amount < 0 ? c * (1 + amount) : c + (255 - c) * amount);
  const r = mix((n >> 16) & 255);
  const g = mix((n >> 8) & 255);
  const b = mix(n & 255);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

function drawing(kind: DemoProduct['drawing'], c: string): string {
  const dark = shade(c, -0.35);
  const light = shade(c, 0.55);
  switch (kind) {
    case 'sneaker':
      return `
        <path d="M110 400 C115 330 150 300 205 292 L285 282 C310 238 350 226 385 246 L430 322 C495 330 515 360 512 402 Z" fill="${c}"/>
        <path d="M285 282 L330 340 M305 272 L352 330 M326 262 L372 318" stroke="#fff" stroke-width="10" stroke-linecap="round"/>
        <path d="M385 246 C400 300 430 322 430 322" stroke="${dark}" stroke-width="10" fill="none"/>
        <rect x="98" y="398" width="424" height="38" rx="19" fill="#fff" stroke="${dark}" stroke-width="8"/>
        <rect x="120" y="428" width="380" height="10" rx="5" fill="${dark}"/>`;
    case 'bag':
      return `
        <path d="M225 250 C225 175 375 175 375 250" stroke="${dark}" stroke-width="22" fill="none" stroke-linecap="round"/>
        <rect x="120" y="245" width="360" height="210" rx="36" fill="${c}"/>
        <rect x="120" y="300" width="360" height="26" fill="${dark}"/>
        <rect x="270" y="290" width="60" height="46" rx="8" fill="${light}"/>
        <rect x="150" y="270" width="22" height="170" rx="6" fill="${dark}" opacity="0.5"/>
        <rect x="428" y="270" width="22" height="170" rx="6" fill="${dark}" opacity="0.5"/>`;
    case 'mug':
      return `
        <path d="M238 200 C218 170 258 150 238 120 M300 200 C280 170 320 150 300 120" stroke="${light}" stroke-width="12" fill="none" stroke-linecap="round"/>
        <path d="M395 275 C470 275 470 390 395 390" stroke="${c}" stroke-width="30" fill="none"/>
        <path d="M165 225 L415 225 L400 440 C398 455 388 465 372 465 L208 465 C192 465 182 455 180 440 Z" fill="${c}"/>
        <ellipse cx="290" cy="225" rx="125" ry="22" fill="${dark}"/>
        <rect x="190" y="300" width="200" height="18" fill="${light}" opacity="0.6"/>`;
    case 'sweater':
      return `
        <path d="M235 150 L365 150 L470 200 L520 400 L458 416 L420 270 L420 470 L180 470 L180 270 L142 416 L80 400 L130 200 Z" fill="${c}"/>
        <path d="M250 150 C265 195 335 195 350 150" stroke="${light}" stroke-width="14" fill="none"/>
        <rect x="180" y="446" width="240" height="24" fill="${dark}"/>
        <path d="M90 384 L148 398 M512 384 L454 398" stroke="${dark}" stroke-width="16"/>`;
    case 'headphones':
      return `
        <path d="M160 360 L160 280 C160 140 440 140 440 280 L440 360" stroke="${dark}" stroke-width="30" fill="none" stroke-linecap="round"/>
        <rect x="120" y="300" width="92" height="150" rx="40" fill="${c}"/>
        <rect x="388" y="300" width="92" height="150" rx="40" fill="${c}"/>
        <rect x="150" y="330" width="32" height="90" rx="14" fill="${light}"/>
        <rect x="418" y="330" width="32" height="90" rx="14" fill="${light}"/>`;
    case 'plant':
      return `
        <ellipse cx="300" cy="220" rx="40" ry="110" fill="${c}"/>
        <ellipse cx="225" cy="250" rx="34" ry="95" fill="${shade(c, 0.2)}" transform="rotate(-35 225 250)"/>
        <ellipse cx="375" cy="250" rx="34" ry="95" fill="${shade(c, -0.15)}" transform="rotate(35 375 250)"/>
        <path d="M300 330 L300 140" stroke="${dark}" stroke-width="6"/>
        <path d="M200 330 L400 330 L375 470 L225 470 Z" fill="#c8643b"/>
        <rect x="190" y="318" width="220" height="36" rx="8" fill="#b0532e"/>`;
    case 'sunglasses':
      return `
        <path d="M95 250 L505 250" stroke="${dark}" stroke-width="14" stroke-linecap="round"/>
        <path d="M110 255 C110 380 265 390 275 285 L275 255 Z" fill="${c}" stroke="${dark}" stroke-width="10"/>
        <path d="M490 255 C490 380 335 390 325 285 L325 255 Z" fill="${c}" stroke="${dark}" stroke-width="10"/>
        <path d="M275 268 C290 250 310 250 325 268" stroke="${dark}" stroke-width="10" fill="none"/>
        <path d="M140 280 L190 330" stroke="${light}" stroke-width="12" stroke-linecap="round"/>
        <path d="M360 280 L410 330" stroke="${light}" stroke-width="12" stroke-linecap="round"/>`;
    case 'watch':
      return `
        <rect x="250" y="90" width="100" height="420" rx="22" fill="${c}"/>
        <circle cx="300" cy="300" r="118" fill="${dark}"/>
        <circle cx="300" cy="300" r="98" fill="#fbf8f3"/>
        <path d="M300 300 L300 230 M300 300 L350 325" stroke="#222" stroke-width="10" stroke-linecap="round"/>
        <circle cx="300" cy="300" r="9" fill="#222"/>
        <rect x="412" y="288" width="22" height="24" rx="5" fill="${dark}"/>`;
  }
}

export function productPhotoSvg(product: DemoProduct): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">
  <defs><radialGradient id="bg" cx="50%" cy="40%" r="75%"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="${product.tint}"/></radialGradient></defs>
  <rect width="${SIZE}" height="${SIZE}" fill="${product.tint}"/>
  <rect width="${SIZE}" height="${SIZE}" fill="url(#bg)" opacity="0.7"/>
  <ellipse cx="300" cy="478" rx="205" ry="20" fill="#000" opacity="0.08"/>
  ${drawing(product.drawing, product.color)}
</svg>`;
}
