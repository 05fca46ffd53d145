import type * as tf from '@tensorflow/tfjs';

export function precision(pred: ArrayLike<number>, width: number, labels: ArrayLike<number>): { p1: number; p5: number };
export function accuracy(model: tf.LayersModel, x: tf.Tensor, labels: ArrayLike<number>, opts?: { batchSize?: number }): number;
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number;
