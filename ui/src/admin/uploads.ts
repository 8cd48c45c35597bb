// Files the admin web attaches: photos (downscaled to JPEG in the browser, with a thumbnail,
// POST /api/photos) and PDF documents (POST /api/documents), each stored by its SHA-256.
import { api } from './api';
import type { StoredPhoto } from './api.gen';
import { jpegOf } from './queue';

/** Uploads a photo and its thumbnail; returns its hash and a local preview URL. */
export async function uploadPhoto(file: Blob): Promise<{ hash: string; preview: string }> {
  const photo = await api.upload<StoredPhoto>('/api/photos', await jpegOf(file, 1920));
  const thumbnail = await jpegOf(file, 320);
  await api.upload(`/api/photos?thumbnail_of=${photo.hash}`, thumbnail);
  return { hash: photo.hash, preview: URL.createObjectURL(thumbnail) };
}

/** Uploads a PDF (the server refuses anything else); returns its hash and size. */
export async function uploadPdf(file: File): Promise<StoredPhoto> {
  return api.upload<StoredPhoto>('/api/documents', new Blob([file], { type: 'application/pdf' }));
}
