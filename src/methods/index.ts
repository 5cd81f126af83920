import { ablationCam } from './ablationcam';
import { classActivationMap } from './cam';
import { eigenCam } from './eigencam';
import { eigenGradCam } from './eigengradcam';
import { gradCam } from './gradcam';
import { gradCamPlusPlus } from './gradcam-plus-plus';
import { hiResCam } from './hirescam';
import { layerCam } from './layercam';
import type { CamMethod, CamMethodName } from './method';
import { scoreCam } from './scorecam';
import { xGradCam } from './xgradcam';

/** Every method by name. Adding one: a new file and one line here. */
export const METHODS: Readonly<Record<CamMethodName, CamMethod>> = {
  gradcam: gradCam,
  'gradcam++': gradCamPlusPlus,
  hirescam: hiResCam,
  xgradcam: xGradCam,
  layercam: layerCam,
  eigencam: eigenCam,
  eigengradcam: eigenGradCam,
  scorecam: scoreCam,
  ablationcam: ablationCam,
  cam: classActivationMap,
};
