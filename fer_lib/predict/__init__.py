"""`fer predict`: find the faces in images and videos and read their expressions with a published model.

inputs (files, folders, globs, video frames) -> faces (detection and crops) -> predictor (batched inference
in the run's own precision) -> output (table, CSV, JSON, annotated images)."""
from .faces import FaceDetector, crop_face, whole_face
from .inputs import InputError, expand, is_video, read_image, video_frames
from .predictor import FACE_SIZE, NO_FACE, Prediction, Predictor, predict

__all__ = ["FACE_SIZE", "NO_FACE", "FaceDetector", "InputError", "Prediction", "Predictor", "crop_face", "expand", "is_video",
           "predict", "read_image", "video_frames", "whole_face"]
